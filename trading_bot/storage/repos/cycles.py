"""Decision cycles: one row per cycle with its stage timeline (the audit trail of a decision)."""

from __future__ import annotations

import json

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert

from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, LlmCall


def start_cycle(db: Database, cycle_id: str, inst_id: str, trigger: str, scheduled_for: datetime,
                started_at: datetime, run_id: str = "live", shadow: bool = False) -> bool:
    """Create the cycle row; False when it already exists (a second beat or a redelivered task)."""
    stmt = insert(DecisionCycle).values(
        id=cycle_id, run_id=run_id, instrument=inst_id, trigger=trigger, scheduled_for=scheduled_for,
        started_at=started_at, stage="COLLECTING", shadow=shadow,
    ).on_conflict_do_nothing().returning(DecisionCycle.id)
    with db.session() as session:
        return session.execute(stmt).first() is not None


def stage_entry(stage: str, started_at: datetime, ended_at: datetime, outcome: str,
                detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """One element of a cycle's timeline."""
    entry = {"stage": stage, "started_at": started_at.isoformat(), "ended_at": ended_at.isoformat(),
             "ms": round((ended_at - started_at).total_seconds() * 1000, 1), "outcome": outcome}
    if detail:
        entry["detail"] = detail
    return entry


def record_stage(db: Database, cycle_id: str, stage: str, started_at: datetime, ended_at: datetime,
                 outcome: str, detail: dict[str, Any] | None = None, **columns: Any) -> None:
    """Append one stage to the timeline and set any of the cycle's result columns."""
    entry = stage_entry(stage, started_at, ended_at, outcome, detail)
    appended = DecisionCycle.timeline.op("||")(cast(literal(json.dumps([entry])), JSONB))
    values = {"stage": stage, "timeline": appended, **columns}
    with db.session() as session:
        session.execute(update(DecisionCycle).where(DecisionCycle.id == cycle_id).values(**values))


def finish_cycle(db: Database, cycle_id: str, finished_at: datetime, outcome: str, cost_usd: Decimal | None = None,
                 error: str | None = None) -> None:
    with db.session() as session:
        row = session.get(DecisionCycle, cycle_id)
        if row is None:
            return
        row.finished_at = finished_at
        row.outcome = outcome
        row.stage = "DONE" if error is None else "FAILED"
        row.latency_ms = int((finished_at - row.started_at).total_seconds() * 1000)
        if cost_usd is not None:
            row.cost_usd = cost_usd
        if error is not None:
            row.error = error[:2000]


def finish_buffered(db: Database, cycle_id: str, stages: list[tuple[dict[str, Any], dict[str, Any]]],
                    started_at: datetime, finished_at: datetime, outcome: str, error: str | None = None) -> Decimal:
    """A backtest cycle's end: its buffered stages (timeline entries and result columns, in order),
    the finish and the cost of its LLM calls, in one statement; the row ends as `record_stage` × n +
    `finish_cycle` leave it. Returns the cost."""
    values: dict[str, Any] = {}
    for _, columns in stages:
        values.update(columns)
    if stages:
        entries = json.dumps([entry for entry, _ in stages])
        values["timeline"] = DecisionCycle.timeline.op("||")(cast(literal(entries), JSONB))
    values.update(finished_at=finished_at, outcome=outcome, stage="DONE" if error is None else "FAILED",
                  latency_ms=int((finished_at - started_at).total_seconds() * 1000))
    values["cost_usd"] = (select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(LlmCall.cycle_id == cycle_id)
                          .scalar_subquery())
    if error is not None:
        values["error"] = error[:2000]
    with db.session() as session:
        cost = session.execute(update(DecisionCycle).where(DecisionCycle.id == cycle_id).values(**values)
                               .returning(DecisionCycle.cost_usd)).scalar_one()
    return Decimal(cost)


def get_cycle(db: Database, cycle_id: str) -> DecisionCycle | None:
    with db.session() as session:
        row = session.get(DecisionCycle, cycle_id)
        if row is not None:
            session.expunge(row)
        return row


def recent_cycles(db: Database, limit: int = 10, inst_id: str | None = None, run_id: str = "live") -> list[DecisionCycle]:
    query = select(DecisionCycle).where(DecisionCycle.run_id == run_id)
    if inst_id:
        query = query.where(DecisionCycle.instrument == inst_id)
    query = query.order_by(DecisionCycle.started_at.desc()).limit(limit)
    with db.session() as session:
        rows = list(session.scalars(query).all())
        for row in rows:
            session.expunge(row)
        return rows
