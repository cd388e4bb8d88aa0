"""`trading-bot`: the command line. Each command group lives in its own module, listed in
COMMAND_MODULES with the commands it registers; a bad configuration ends any command with one line
and exit code 2.

A process imports only the module of the command it runs: `trading-bot ws-public` never loads the
brain, pandas or the simulator, which keeps every long-running role small (see
benchmarks/bench_run_memory.py). `--help` and tests (`from trading_bot.cli import app`) get all.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from trading_bot.config import CONFIG_EXIT_CODE, ConfigError

HELP = "Self-learning LLM trading bot for OKX perpetual swaps (paper trading)."

# module → the top-level commands it registers (each module exposes `register(app)`)
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "trading_bot.cli.config_cmd": ("config",),
    "trading_bot.cli.db_cmd": ("db",),
    "trading_bot.cli.services_cmd": ("services",),
    "trading_bot.cli.doctor_cmd": ("doctor",),
    "trading_bot.cli.run_cmd": ("run",),
    "trading_bot.cli.health_cmd": ("health",),
    "trading_bot.cli.brain_cmd": ("costs", "calendar"),
    "trading_bot.cli.report_cmd": ("report",),
    "trading_bot.cli.state_cmd": ("state", "halt", "resume"),
    "trading_bot.cli.ws_cmd": ("ws-public", "ws-private"),
    "trading_bot.cli.reconcile_cmd": ("reconcile",),
    "trading_bot.cli.snapshot_cmd": ("snapshot",),
    "trading_bot.cli.data_cmd": ("data",),
    "trading_bot.cli.telegram_cmd": ("telegram",),
    "trading_bot.cli.sim_cmd": ("sim",),
    "trading_bot.cli.status_cmd": ("status",),
    "trading_bot.cli.cycle_cmd": ("cycle",),
    "trading_bot.cli.backtest_cmd": ("backtest",),
    "trading_bot.cli.demo_cmd": ("demo",),
}


def build_app(command: str | None = None) -> typer.Typer:
    """The app with the module of `command` registered, or every module (None, unknown, help)."""
    app = typer.Typer(name="trading-bot", help=HELP, no_args_is_help=True, pretty_exceptions_enable=False,
                      add_completion=False)

    @app.callback()
    def _group() -> None:  # keeps `trading-bot CMD` a group even when one module is registered
        pass

    modules = [m for m, names in COMMAND_MODULES.items() if command in names] or list(COMMAND_MODULES)
    for module in modules:
        importlib.import_module(module).register(app)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # every command, built on first use
        globals()["app"] = build_app()
        return globals()["app"]
    raise AttributeError(name)


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        build_app(command)()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(CONFIG_EXIT_CODE)
