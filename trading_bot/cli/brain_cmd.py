"""`trading-bot costs` (the LLM cost ledger and budget) and `trading-bot calendar` (macro events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from trading_bot.cli.common import bootstrap, console, embedded_for_command, fail
from trading_bot.clock import parse_iso, start_of_utc_day
from trading_bot.storage import LIVE_RUN


def register(app: typer.Typer) -> None:
    app.command("costs")(costs_command)
    app.command("calendar")(calendar_command)


def costs_command(
    day: str = typer.Option(None, "--day", help="UTC day as YYYY-MM-DD (default: today)"),
    run_id: str = typer.Option(LIVE_RUN, "--run-id", help="'live' or a backtest run id"),
    trades: int = typer.Option(10, "--trades", help="how many of the latest trades to list with their cost"),
) -> None:
    """LLM and research spend: the day by model and purpose, the week, the budget, cost per trade."""
    from trading_bot.brain.budget import CostLedger
    from trading_bot.storage.db import Database
    from trading_bot.storage.repos.llm_calls import cost_breakdown

    settings = bootstrap()
    try:
        now = parse_iso(day) + timedelta(hours=23, minutes=59) if day else datetime.now(UTC)
    except ValueError:
        raise fail(f"--day: expected YYYY-MM-DD, got {day!r}") from None
    with embedded_for_command(settings):
        db = Database.from_settings(settings)
        ledger = CostLedger(db, run_id)
        start = start_of_utc_day(now)
        lines = cost_breakdown(db, start, start + timedelta(days=1), run_id)
        today, week, per_trade = ledger.today(now), ledger.this_week(now), ledger.per_trade()
    console.print(f"LLM cost on {start.date()} (UTC), run {run_id}: ${today:.6f} of ${settings.daily_llm_budget_usd} "
                  f"budget ({today / settings.daily_llm_budget_usd:.1%}); this week ${week:.6f}")
    for line in lines:
        console.print(f"  {line.model:<28} {line.purpose:<9} {line.calls:>5} calls ({line.failed} failed)  "
                      f"in {line.input_tokens} out {line.output_tokens} cache w/r {line.cache_write_tokens}/"
                      f"{line.cache_read_tokens}  ${line.cost_usd:.6f}", markup=False)
    for trade_id, cost in list(per_trade.items())[-trades:]:
        console.print(f"  trade {trade_id}: ${cost:.6f}", markup=False)


def calendar_command(
    days: int = typer.Option(14, "--days", help="how many days ahead to list"),
) -> None:
    """Validate the economic calendar (ECONOMIC_CALENDAR_FILE or the packaged one) and list what is next."""
    from trading_bot.brain.calendar import CalendarError, EconomicCalendar

    settings = bootstrap()
    try:
        calendar = EconomicCalendar.load(settings.economic_calendar_file)
    except CalendarError as exc:
        raise fail(str(exc)) from None
    now = datetime.now(UTC)
    source = settings.economic_calendar_file or "packaged trading_bot/brain/data/economic_calendar.csv"
    console.print(f"{len(calendar.events)} events from {source}", markup=False)
    for event in calendar.upcoming(now, timedelta(days=days)):
        console.print(f"  {event.at:%Y-%m-%d %H:%M}Z  {event.name:<4}  {event.status}", markup=False)
