"""`trading-bot state`, `trading-bot halt`, `trading-bot resume`: the bot's safety state."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from trading_bot.cli.common import bootstrap, console, embedded_for_command, fail
from trading_bot.clock import start_of_utc_day
from trading_bot.config import ConfigError, Settings
from trading_bot.storage import LIVE_RUN

if TYPE_CHECKING:
    from trading_bot.risk.service import RiskService
    from trading_bot.risk.state import StateRecord

RUN_OPTION = typer.Option(LIVE_RUN, "--run-id", help="Which run (the live bot is 'live').")


def _service(settings: Settings, run_id: str) -> RiskService:
    from trading_bot.cli.clocks import clock_for_command
    from trading_bot.risk.service import RiskService
    from trading_bot.storage.db import Database
    from trading_bot.storage.redis_client import get_redis
    from trading_bot.storage.streams import Keys

    db = Database.from_settings(settings)
    return RiskService(db, get_redis(settings), Keys(settings.redis_namespace), clock_for_command(settings, db, run_id),
                       run_id, settings.risk_limits())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "-"


def _describe(record: StateRecord) -> str:
    until = f" until {_when(record.until)}" if record.until else ""
    return f"{record.state}{until} since {_when(record.since)} by {record.actor}: {record.reason}"


def _show(service: RiskService, history: int) -> None:
    from trading_bot.risk.account_rules import daily_loss_pct, drawdown_pct
    from trading_bot.storage.repos import risk_counters, risk_rejections

    status = service.state.status()
    with service.db.session() as session:
        equity = risk_counters.latest_equity(session, service.run_id)
    console.print(f"state              {_describe(service.state.current())}", markup=False)
    if equity is not None:
        loss = daily_loss_pct(status, equity)
        console.print(f"equity             {equity} USDT (latest observation)", markup=False)
        console.print(f"day start equity   {status.day_start_equity} USDT; daily change "
                      f"{'-' if loss is None else f'{-loss:+.2f} %'} (halt at -{service.limits.max_daily_loss_pct} %)",
                      markup=False)
        console.print(f"peak equity        {status.peak_equity} USDT; drawdown {drawdown_pct(status, equity)[0]:.2f} % "
                      f"(emergency halt at {service.limits.max_drawdown_pct} %)", markup=False)
    else:
        console.print("equity             no account observation recorded yet", markup=False)
    console.print(f"losing streak      {status.consecutive_losses} (cooldown at "
                  f"{service.limits.max_consecutive_losses})", markup=False)
    today = risk_rejections.count_by_rule(service.db, start_of_utc_day(service.clock.now()), service.run_id)
    shown = ", ".join(f"{rule} {n}" for rule, n in sorted(today.items())) or "none"
    console.print(f"rejections today   {shown}", markup=False)
    for record in service.state.history(history) if history else []:
        until = f" until {_when(record.until)}" if record.until else ""
        console.print(f"  {_when(record.since)}  → {record.state}{until} by {record.actor}: {record.reason}",
                      markup=False)


def _flatten(settings: Settings, service: RiskService) -> None:
    from trading_bot.exchange.errors import ExchangeError
    from trading_bot.exchange.factory import build_okx

    try:
        report = service.enforce_emergency(build_okx(settings))
    except (ExchangeError, ConfigError, OSError) as exc:
        raise fail(f"the exchange could not be reached ({exc}); positions may still be open: run "
                   "`trading-bot halt --emergency` again (the pipeline also retries every cycle)") from None
    for outcome in report.outcomes:
        console.print(f"  {'ok    ' if outcome.ok else 'FAILED'} {outcome.action.description}"
                      f"{'' if outcome.ok else f': {outcome.error}'}", markup=False)
    console.print(report.summary(), markup=False)
    if not report.flat:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    @app.command("state")
    def state(history: int = typer.Option(5, "--history", min=0, help="Show this many recent transitions."),
              run_id: str = RUN_OPTION) -> None:
        """Show the bot's safety state (RUNNING, COOLDOWN, HALTED, EMERGENCY_HALTED) and risk counters."""
        settings = bootstrap()
        with embedded_for_command(settings, postgres=True, redis=True):
            _show(_service(settings, run_id), history)

    @app.command("halt")
    def halt(reason: str = typer.Option("", "--reason", help="Why (stored with the event and alerted)."),
             emergency: bool = typer.Option(False, "--emergency",
                                            help="EMERGENCY HALT: also cancel pending entries and close every "
                                                 "position at market now, through the configured exchange."),
             run_id: str = RUN_OPTION) -> None:
        """Stop new entries until `trading-bot resume` (open positions keep their stop-loss)."""
        from trading_bot.risk.state import TransitionRefused

        settings = bootstrap()
        with embedded_for_command(settings, postgres=True, redis=True):
            service = _service(settings, run_id)
            try:
                record = service.state.halt(_actor(), reason or "halted from the command line", emergency)
                console.print(f"bot is now {_describe(record)}", markup=False)
            except TransitionRefused as exc:
                if not emergency:
                    raise fail(str(exc)) from None
                console.print(f"{exc}; running the emergency action list again", markup=False)
            if emergency:
                _flatten(settings, service)

    @app.command("resume")
    def resume(reason: str = typer.Option("", "--reason", help="Why (stored with the event and alerted)."),
               run_id: str = RUN_OPTION) -> None:
        """Resume trading after a HALT or an EMERGENCY HALT (a cooldown ends by itself)."""
        from trading_bot.risk.state import TransitionRefused

        settings = bootstrap()
        with embedded_for_command(settings, postgres=True, redis=True):
            try:
                record = _service(settings, run_id).state.resume(_actor(), reason or "resumed from the command line")
            except TransitionRefused as exc:
                raise fail(str(exc)) from None
            console.print(f"bot is now {_describe(record)}", markup=False)

