"""After the loop: the run's trades, equity curve, funnel and LLM cost read back from the journal
(the same loader as `trading-bot report`), the instrument's closes for buy-and-hold, and the files."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trading_bot.backtest.metrics import Metrics, compute_metrics
from trading_bot.backtest.outputs import EQUITY, SUMMARY, TRADES, write_equity, write_summary, write_trades
from trading_bot.backtest.report import NoReportData, ReportData, generate_report, load_report_data
from trading_bot.backtest.runner import Backtest, BacktestOutcome
from trading_bot.clock import from_ms
from trading_bot.risk.status import BotState
from trading_bot.storage.db import Database
from trading_bot.storage.repos import bot_state


@dataclass(frozen=True)
class BacktestResults:
    data: ReportData
    metrics: Metrics
    summary: dict[str, Any]
    files: dict[str, Path]
    halt: dict[str, Any] | None  # `run_halt`


def closes(backtest: Backtest, start: datetime, end: datetime) -> list[tuple[datetime, Decimal]]:
    """(close time, close) of the instrument's base bars that closed within [start, end]."""
    bars = backtest.exchange.venue.data(backtest.spec.instrument).agg.complete("15m")
    step = 15 * 60_000
    return [(from_ms(int(ts) + step), Decimal(repr(float(c)))) for ts, c in zip(bars.ts, bars.c, strict=True)
            if start <= from_ms(int(ts) + step) <= end]


# States only an admin leaves (Telegram /resume, the CLI): in a backtest nobody does, so the rest
# of the run opens nothing, which the results must say rather than let a flat tail pass unexplained
ADMIN_STATES = (str(BotState.HALTED), str(BotState.EMERGENCY_HALTED))


def run_halt(db: Database, run_id: str) -> dict[str, Any] | None:
    """When and why the run entered a state only an admin leaves, if it did."""
    with db.session() as session:
        event = bot_state.first_entered(session, run_id, ADMIN_STATES)
        if event is None:
            return None
        return {"at": event.ts, "state": event.to_state, "reason": event.reason}


def halt_note(halt: dict[str, Any], outcome: BacktestOutcome) -> str:
    idle = sum(count for name, count in outcome.outcomes.items() if name.startswith("skipped_emergency")
               or name == "skipped_halted")
    return (f"{halt['state']} at {halt['at']:%Y-%m-%d %H:%M} UTC ({halt['reason']}); nobody resumes a backtest, "
            f"so {idle:,} later cycles opened nothing")


def report_data(backtest: Backtest, outcome: BacktestOutcome, db: Database,
                halt: dict[str, Any] | None = None) -> ReportData:
    try:
        data = load_report_data(db, outcome.run_id, instrument=outcome.instrument)
    except NoReportData:  # stopped before the first cycle recorded anything
        data = ReportData(run_id=outcome.run_id, source="backtest", trades=[], equity=[])
    notes = list(data.notes)
    if outcome.stopped:
        notes.append(f"stopped early: {outcome.cycles} of {outcome.planned} cycles")
    if halt is not None:
        notes.append(halt_note(halt, outcome))
    return dataclasses.replace(data, source="backtest", instrument=outcome.instrument, notes=notes,
                               prices=closes(backtest, outcome.start, outcome.end))


def write_results(backtest: Backtest, outcome: BacktestOutcome, db: Database, out_dir: Path, brain: str,
                  generated_at: datetime, extra: dict[str, Any] | None = None) -> BacktestResults:
    halt = run_halt(db, outcome.run_id)
    data = report_data(backtest, outcome, db, halt)
    metrics = compute_metrics(data.trades, data.equity, prices=data.prices or None)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_trades(out_dir / TRADES, data.trades)
    write_equity(out_dir / EQUITY, data.equity)
    run = {
        "run_id": outcome.run_id, "instrument": outcome.instrument, "brain": brain,
        "start": outcome.start, "end": outcome.end, "cycle_seconds": backtest.spec.cycle.total_seconds(),
        "cycles": outcome.cycles, "planned_cycles": outcome.planned, "stopped": outcome.stopped,
        "outcomes": dict(sorted(outcome.outcomes.items())), "initial_equity": backtest.spec.equity,
        "final_equity": outcome.final_equity, "open_positions_closed_at_end": True,
        "halted": halt,
        "data": [str(p) for p in backtest.spec.data], **(extra or {}),
    }
    summary = write_summary(out_dir / SUMMARY, run, metrics)
    files = {"summary": out_dir / SUMMARY, "trades": out_dir / TRADES, "equity": out_dir / EQUITY}
    if data.trades or len(data.equity) >= 1:
        report = generate_report(data, out_dir, generated_at=generated_at)
        files["report"] = report.html
    return BacktestResults(data, metrics, summary, files, halt)
