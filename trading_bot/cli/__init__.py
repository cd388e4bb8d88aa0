"""`trading-bot`: the command line. Each command group lives in its own module and registers
itself in COMMAND_MODULES; a bad configuration ends any command with one line and exit code 2."""

from __future__ import annotations

import importlib
import sys

import typer

from trading_bot.cli.common import CONFIG_EXIT_CODE
from trading_bot.config import ConfigError

app = typer.Typer(
    name="trading-bot",
    help="Self-learning LLM trading bot for OKX perpetual swaps (paper trading).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# One line per command module; each exposes `register(app)`.
COMMAND_MODULES = (
    "trading_bot.cli.config_cmd",
    "trading_bot.cli.db_cmd",
    "trading_bot.cli.services_cmd",
    "trading_bot.cli.doctor_cmd",
    "trading_bot.cli.run_cmd",
    "trading_bot.cli.health_cmd",
    "trading_bot.cli.brain_cmd",
    "trading_bot.cli.report_cmd",
    "trading_bot.cli.state_cmd",
    "trading_bot.cli.ws_cmd",
    "trading_bot.cli.reconcile_cmd",
    "trading_bot.cli.snapshot_cmd",
    "trading_bot.cli.data_cmd",
    "trading_bot.cli.telegram_cmd",
    "trading_bot.cli.sim_cmd",
    "trading_bot.cli.status_cmd",
    "trading_bot.cli.cycle_cmd",
)

for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(CONFIG_EXIT_CODE)
