"""`trading-bot report`: the self-contained HTML performance report (plus PNG charts) of a run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from trading_bot.cli.common import bootstrap, console, embedded_for_command, fail
from trading_bot.clock import SystemClock, parse_iso
from trading_bot.storage import LIVE_RUN


def _time(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise fail(f"{option}: expected an ISO-8601 time such as 2026-01-05T00:00:00Z, got {text!r}") from None


def report_command(
    start: str = typer.Option(None, "--from", help="start of the period (ISO-8601 UTC; default: the run's start)"),
    end: str = typer.Option(None, "--to", help="end of the period (ISO-8601 UTC; default: the run's end)"),
    run_id: str = typer.Option(LIVE_RUN, "--run-id", help="'live' or a backtest run id written to the database"),
    instrument: str = typer.Option(None, "--instrument", help="instrument of the price chart (default: the "
                                                              "run's most traded)"),
    out: Path = typer.Option(Path("report"), "--out", help="directory for report.html and the PNG charts"),
) -> None:
    """Write report.html (opens offline: charts as SVG and styles inline) and PNG charts for one
    run: metrics table, equity beside buy-and-hold with drawdown, price with entries/exits, PnL by
    strategy and regime, screener funnel, LLM cost per day and per trade, confidence calibration."""
    from trading_bot.backtest.report import NoReportData, generate_report, load_report_data
    from trading_bot.storage.db import Database

    settings = bootstrap()
    period_start, period_end = _time("--from", start), _time("--to", end)
    if period_start and period_end and period_end <= period_start:
        raise fail("--to must be after --from")
    with embedded_for_command(settings):
        try:
            data = load_report_data(Database.from_settings(settings), run_id, period_start, period_end, instrument)
        except NoReportData as exc:
            raise fail(str(exc)) from None
    files = generate_report(data, out, generated_at=SystemClock().now())
    stats = files.metrics.trades
    console.print(f"report of run {run_id}: {stats.trades} closed trades, net PnL {stats.net_pnl:,.2f} USDT",
                  markup=False)
    console.print(f"  {files.html}", markup=False)
    for path in files.images.values():
        console.print(f"  {path}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
