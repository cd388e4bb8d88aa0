"""`trading-bot`: the command line. Each command group lives in its own module, listed in COMMANDS
with the first paragraph of its help; a bad configuration ends any command with one line and exit
code 2.

A process imports only the module of the command it runs: `trading-bot --help` lists COMMANDS
without importing any, `trading-bot ws-public` never loads the brain, pandas or the simulator,
which keeps the start fast (benchmarks/bench_startup.py) and every long-running role small
(benchmarks/bench_run_memory.py). A command module imports at its top only what its parser needs;
what the command works with is imported in its body, so its `--help` stays fast too. Tests
(`from trading_bot.cli import app`) get every command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer import _click  # the click typer 0.29 vendors: TyperGroup's own signatures name it

HELP = "Self-learning LLM trading bot for OKX perpetual swaps (paper trading)."


@dataclass(frozen=True)
class Command:
    module: str  # exposes `register(app)`, which adds this command (and maybe others)
    summary: str  # the first paragraph of the command's help (a test holds them equal)


# in the order `trading-bot --help` lists them (Typer lists the command groups last)
COMMANDS: dict[str, Command] = {
    "config": Command("trading_bot.cli.config_cmd",
                      "Print the effective configuration (environment + .env) with secrets masked."),
    "doctor": Command("trading_bot.cli.doctor_cmd",
                      "Check PostgreSQL, Redis, the exchange (OKX or simulator) and LLM keys; exit 1 on any FAIL."),
    "run": Command("trading_bot.cli.run_cmd",
                   "Start every role (beat, workers, consumers, flower…) and, on embedded defaults, PostgreSQL,\n"
                   "Redis and the simulator. Ctrl-C (SIGINT) or SIGTERM stops everything it started. A role that\n"
                   "cannot work (a setting it needs, its port taken, exit code 2) is reported once and not\n"
                   "restarted; the others run on. Exit code 2 when no role is left running."),
    "health": Command("trading_bot.cli.health_cmd",
                      "Exit 0 if the role is alive, 1 otherwise (used by docker-compose healthchecks)."),
    "costs": Command("trading_bot.cli.brain_cmd",
                     "LLM and research spend: the day by model and purpose, the week, the budget, cost per trade."),
    "calendar": Command("trading_bot.cli.brain_cmd",
                        "Validate the economic calendar (ECONOMIC_CALENDAR_FILE or the packaged one) and list what "
                        "is next."),
    "report": Command("trading_bot.cli.report_cmd",
                      "Write report.html (opens offline: charts as SVG and styles inline) and PNG charts for one\n"
                      "run: metrics table, equity beside buy-and-hold with drawdown, price with entries/exits, PnL by\n"
                      "strategy and regime, screener funnel, LLM cost per day and per trade, confidence calibration."),
    "state": Command("trading_bot.cli.state_cmd",
                     "Show the bot's safety state (RUNNING, COOLDOWN, HALTED, EMERGENCY_HALTED) and risk counters."),
    "halt": Command("trading_bot.cli.state_cmd",
                    "Stop new entries until `trading-bot resume` (open positions keep their stop-loss)."),
    "resume": Command("trading_bot.cli.state_cmd",
                      "Resume trading after a HALT or an EMERGENCY HALT (a cooldown ends by itself)."),
    "ws-public": Command("trading_bot.cli.ws_cmd",
                         "Stream OKX market data (candles 15m/1H/4H, tickers, books5, funding, open interest) of\n"
                         "every INSTRUMENTS entry into PostgreSQL and Redis, backfilling missed candles over REST."),
    "ws-private": Command("trading_bot.cli.ws_cmd",
                          "Stream the account's orders, fills, positions and balance into PostgreSQL, Redis and the\n"
                          "trade:* streams; publishes position_closed with realised PnL, fees and funding."),
    "reconcile": Command("trading_bot.cli.reconcile_cmd",
                         "Check every open position has its stop-loss on the exchange (re-placing a missing one),\n"
                         "record unknown or finished orders, cancel orphaned TP/SL orders, and report journal\n"
                         "mismatches on system:alerts. Beat runs the same check every minute."),
    "snapshot": Command("trading_bot.cli.snapshot_cmd",
                        "Build the market snapshot (indicators and regime per timeframe, book, funding, open "
                        "interest,\nanomalies) from the candles in the database and the latest market state in "
                        "Redis. Only data\nstamped at or before the snapshot time is used; nothing is published."),
    "telegram": Command("trading_bot.cli.telegram_cmd",
                        "Run the Telegram bot: commands for allowed chats (TELEGRAM_CHAT_IDS), halt/resume and "
                        "/config for\nadmins (TELEGRAM_ADMIN_IDS), alerts from the Redis streams. Stops on SIGTERM "
                        "or Ctrl-C. A missing or\nrejected token, or no chats, ends it with one line and exit code 2 "
                        "(its supervisor does not restart it).\nWith --console: the same commands on stdin/stdout, "
                        "without Telegram."),
    "sim": Command("trading_bot.cli.sim_cmd",
                   "Serve an OKX v5-compatible exchange: python-okx and the bot's WebSocket client run against it\n"
                   "unchanged. Credentials come from SIM_API_KEY/SIM_API_SECRET/SIM_PASSPHRASE or are generated "
                   "into\nVAR_DIR/sim/credentials.json. State is saved to VAR_DIR/sim/state.json and restored on "
                   "restart."),
    "status": Command("trading_bot.cli.status_cmd",
                      "Show the bot's state, equity, today's PnL and LLM cost, open positions and the last cycles."),
    "cycle": Command("trading_bot.cli.cycle_cmd",
                     "Run one decision cycle now (collect → screen → analyze → risk check → execute → confirm →\n"
                     "journal) against the configured exchange, and print its timeline. Needs the venue (the\n"
                     "simulator of `trading-bot run`/`trading-bot sim`, or OKX) but no Celery worker."),
    "backtest": Command("trading_bot.cli.backtest_cmd",
                        "Backtest: the venue replays the candles (fees, slippage, funding, stop-loss/take-profit "
                        "inside\nthe bars) and every cycle runs the live pipeline's stages, reviews and playbook "
                        "updates in this\nprocess. Decisions at time t see only bars closed by t. Ctrl-C stops with "
                        "partial results.\nWith --windows N the period runs as N independent windows on `backtest` "
                        "workers instead."),
    "demo": Command("trading_bot.cli.demo_cmd",
                    "The bot in fast-forward (a cycle per second) on the simulator and the offline rules brain,\n"
                    "one line per cycle, until a trade opened and closed, was reviewed and a deep reflection wrote a\n"
                    "new playbook version (one to two minutes); then report.html. Exit 1 if that did not happen in\n"
                    "--seconds. Reads no .env and no keys: it never trades a real account."),
    "db": Command("trading_bot.cli.db_cmd", "Database schema migrations (Alembic)."),
    "services": Command("trading_bot.cli.services_cmd",
                        "Embedded PostgreSQL and Redis (used when DATABASE_URL/REDIS_URL are unset)."),
    "data": Command("trading_bot.cli.data_cmd", "Candle data: import files, download from OKX, aggregate timeframes."),
}


class LazyGroup(TyperGroup):
    """The root command: lists COMMANDS by their summaries and imports a command's module only to
    run that command (or show its own help)."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        # stand-ins, for the listing and for resolving (and suggesting) names
        self.commands = {name: TyperCommand(name=name, help=command.summary) for name, command in COMMANDS.items()}

    def resolve_command(self, ctx: _click.Context, args: list[str]) -> tuple[str | None, _click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None:
            command = typer.main.get_group(build_app([name])).commands[name]
        return name, command, rest


def _typer(cls: type[TyperGroup] = TyperGroup) -> typer.Typer:
    app = typer.Typer(name="trading-bot", help=HELP, cls=cls, no_args_is_help=True, pretty_exceptions_enable=False,
                      add_completion=False)

    @app.callback()
    def _group() -> None:  # keeps `trading-bot CMD` a group even when one module is registered
        pass

    return app


def build_app(commands: Iterable[str] = COMMANDS) -> typer.Typer:
    """The app with the modules of `commands` registered (by default every one)."""
    app = _typer()
    for module in dict.fromkeys(COMMANDS[name].module for name in commands):
        importlib.import_module(module).register(app)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":  # every command, built on first use
        globals()["app"] = build_app()
        return globals()["app"]
    raise AttributeError(name)


def main() -> None:
    try:
        _typer(LazyGroup)()
    except Exception as exc:
        from trading_bot.config import CONFIG_EXIT_CODE, ConfigError  # loaded by any command that could raise it

        if not isinstance(exc, ConfigError):
            raise
        print(f"configuration error: {exc}", file=sys.stderr)
        sys.exit(CONFIG_EXIT_CODE)
