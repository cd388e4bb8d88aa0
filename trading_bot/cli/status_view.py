"""What `trading-bot status` prints: the bot at a glance from the database — safety state, equity,
today's PnL and LLM cost, open positions, the last cycles."""

from __future__ import annotations

from decimal import Decimal

from rich.table import Table

from trading_bot.brain.budget import CostLedger
from trading_bot.cli.clocks import clock_for_command
from trading_bot.cli.common import console
from trading_bot.clock import start_of_utc_day
from trading_bot.config import Settings
from trading_bot.risk.state import BotStateService
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.storage.repos.cycles import recent_cycles
from trading_bot.storage.repos.trades import open_trades, realised_between
from trading_bot.storage.streams import Keys


def _money(value: Decimal | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"


def _cycle_row(cycle: DecisionCycle) -> tuple[str, ...]:
    decision = (cycle.decision or {}).get("action") or "-"
    verdict = cycle.verdict or {}
    gate = "-" if not verdict else ("approved" if verdict.get("approved") else f"rejected: {verdict.get('rule')}")
    return (f"{cycle.started_at:%Y-%m-%d %H:%M}", cycle.instrument, cycle.outcome or f"running ({cycle.stage})",
            decision, gate, "-" if cycle.cost_usd is None else f"${cycle.cost_usd:.4f}")


def show_status(settings: Settings, db: Database, run_id: str, cycles: int) -> None:
    clock = clock_for_command(settings, db, run_id)
    now = clock.now()
    state = BotStateService(db, get_redis(settings), Keys(settings.redis_namespace), clock, run_id).current()
    latest = equity_repo.latest_at(db, now, run_id)
    day_start = equity_repo.latest_at(db, start_of_utc_day(now), run_id)
    closed, realised = realised_between(db, start_of_utc_day(now), now, run_id)
    until = f" until {state.until:%Y-%m-%d %H:%M} UTC" if state.until else ""
    console.print(f"state      {state.state}{until} — {state.reason} ({state.actor})", markup=False)
    venue = "local simulator (market time)" if settings.uses_simulator else f"OKX flag {settings.okx_flag}"
    console.print(f"as of      {now:%Y-%m-%d %H:%M:%S} UTC, {venue}", markup=False)
    if latest is None:
        console.print("equity     no account observation yet", markup=False)
    else:
        day_pnl = latest.equity - day_start.equity if day_start is not None else None
        console.print(f"equity     {_money(latest.equity)} USDT (available {_money(latest.available)}, "
                      f"unrealised {_money(latest.upl, signed=True)})", markup=False)
        console.print(f"today      PnL {_money(day_pnl, signed=True)} USDT; realised {_money(realised, signed=True)} "
                      f"in {closed} closed trade{'s' if closed != 1 else ''}", markup=False)
    console.print(f"LLM cost   ${CostLedger(db, run_id).today(now):.4f} today of "
                  f"${settings.daily_llm_budget_usd} budget", markup=False)
    positions = open_trades(db, run_id)
    console.print(f"positions  {len(positions)} open", markup=False)
    if positions:
        table = Table("instrument", "side", "size", "entry", "stop-loss", "take-profit", "since")
        for trade in positions:
            table.add_row(trade.instrument, trade.side, str(trade.size), str(trade.entry_px),
                          str(trade.stop_loss or "-"), str(trade.take_profit or "-"), f"{trade.entry_ts:%m-%d %H:%M}")
        console.print(table)
    recent = recent_cycles(db, cycles, run_id=run_id)
    if not recent:
        console.print("cycles     none yet", markup=False)
        return
    table = Table("started (UTC)", "instrument", "outcome", "decision", "risk gate", "cost", title="last cycles")
    for cycle in recent:
        table.add_row(*_cycle_row(cycle))
    console.print(table)

