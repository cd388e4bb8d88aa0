"""Decision cycles: one row per cycle with its stage timeline (the audit trail of a decision)."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Text, bindparam, cast, func, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert

from trading_bot.storage.db import Database, affected_rows, table_of
from trading_bot.storage.models import DecisionCycle, LlmCall

_cycles = table_of(DecisionCycle)
# Core statements on the table, built once: these run at every cycle (and a backtest's hundred
# thousand), where building and keying an ORM statement per call costs more than the round trip
_START = insert(_cycles).on_conflict_do_nothing().returning(_cycles.c.id)


def start_cycle(db: Database, cycle_id: str, inst_id: str, trigger: str, scheduled_for: datetime,
                started_at: datetime, run_id: str = "live", shadow: bool = False) -> bool:
    """Create the cycle row; False when it already exists (a second beat or a redelivered task)."""
    values = {"id": cycle_id, "run_id": run_id, "instrument": inst_id, "trigger": trigger,
              "scheduled_for": scheduled_for, "started_at": started_at, "stage": "COLLECTING", "shadow": shadow}
    if db.journal is not None:
        return db.journal.start_cycle(values)
    with db.session() as session:
        return session.execute(_START, values).first() is not None


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
    """Append one stage to the timeline and set any of the cycle's result columns (a model is
    stored as its JSON)."""
    entry = stage_entry(stage, started_at, ended_at, outcome, detail)
    if db.journal is not None and db.journal.change_cycle(cycle_id, {**columns, "stage": stage}, [entry]):
        return  # a backtest's cycle still in memory: changed there, as the UPDATE would
    appended = DecisionCycle.timeline.op("||")(cast(literal(json.dumps([entry])), JSONB))
    values = {"stage": stage, "timeline": appended, **{name: as_json_data(v) for name, v in columns.items()}}
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
    values.update(finished_at=finished_at, outcome=outcome, stage="DONE" if error is None else "FAILED",
                  latency_ms=int((finished_at - started_at).total_seconds() * 1000))
    if error is not None:
        values["error"] = error[:2000]
    # still in memory, so no statement ran since the cycle started: it made no LLM call
    if db.journal is not None and db.journal.change_cycle(cycle_id, {**values, "cost_usd": Decimal(0)},
                                                          [entry for entry, _ in stages]):
        return Decimal(0)
    entries = json.dumps([entry for entry, _ in stages]) if stages else None
    values = {name: as_json_data(value) for name, value in values.items()}
    statement = _finish_statement(tuple(sorted(values)), entries is not None)
    with db.session() as session:
        params = {f"{name}_": value for name, value in values.items()}
        cost = session.execute(statement, {**params, "where_id": cycle_id, "timeline_add": entries}).scalar_one()
    return Decimal(cost)


@functools.cache
def _finish_statement(columns: tuple[str, ...], appends: bool) -> Any:
    """The UPDATE `finish_buffered` sends for one set of columns (a handful of sets occur)."""
    # (a bind parameter may not take a column's own name in an UPDATE's SET clause)
    values: dict[str, Any] = {name: bindparam(f"{name}_", type_=_cycles.c[name].type) for name in columns}
    if appends:
        values["timeline"] = _cycles.c.timeline.op("||")(cast(bindparam("timeline_add", type_=Text), JSONB))
    values["cost_usd"] = (select(func.coalesce(func.sum(LlmCall.cost_usd), 0))
                          .where(LlmCall.cycle_id == bindparam("where_id")).scalar_subquery())
    return (update(_cycles).where(_cycles.c.id == bindparam("where_id")).values(**values)
            .returning(_cycles.c.cost_usd))


def as_json_data(value: Any) -> Any:
    """A model as JSON data for a JSONB column (NaN and infinity become null on the way); other
    values as they are."""
    return json.loads(value.model_dump_json()) if isinstance(value, BaseModel) else value


def cycle_exists(db: Database, cycle_id: str) -> bool:
    if db.journal is not None and db.journal.started_cycle(cycle_id):
        return True
    with db.session() as session:
        return session.execute(select(_cycles.c.id).where(_cycles.c.id == cycle_id)).first() is not None


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


# --- cycles that never ended, slots that never started (pipeline/sweep.py) -------------------------
def unfinished(db: Database, run_id: str, started_before: datetime) -> list[DecisionCycle]:
    """Cycles of the run without an end that started before `started_before` (oldest first)."""
    query = (select(DecisionCycle).where(DecisionCycle.run_id == run_id, DecisionCycle.finished_at.is_(None),
                                         DecisionCycle.started_at < started_before)
             .order_by(DecisionCycle.started_at))
    with db.session() as session:
        rows = list(session.scalars(query).all())
        for row in rows:
            session.expunge(row)
        return rows


def beat_slots(db: Database, run_id: str, inst_id: str, since: datetime, until: datetime) -> list[datetime]:
    """The scheduled slots in [since, until) that have a beat cycle row (of any outcome)."""
    query = (select(DecisionCycle.scheduled_for)
             .where(DecisionCycle.run_id == run_id, DecisionCycle.instrument == inst_id,
                    DecisionCycle.trigger == "beat", DecisionCycle.scheduled_for >= since,
                    DecisionCycle.scheduled_for < until)
             .order_by(DecisionCycle.scheduled_for))
    with db.session() as session:
        return list(session.scalars(query).all())


def record_missed(db: Database, cycle_id: str, inst_id: str, slot: datetime, noticed_at: datetime, cause: str,
                  run_id: str = "live") -> bool:
    """A slot no cycle ran for, as a finished row (outcome `missed`, the cause in `error`); False
    when the slot has a row already (it ran, or was recorded before)."""
    values = {"id": cycle_id, "run_id": run_id, "instrument": inst_id, "trigger": "beat", "scheduled_for": slot,
              "started_at": slot, "finished_at": noticed_at, "stage": "FAILED", "outcome": "missed",
              "error": cause[:2000]}
    with db.session() as session:
        return session.execute(_START, values).first() is not None


def abandon(db: Database, cycle_id: str, finished_at: datetime, reason: str) -> bool:
    """End a cycle nobody will finish (outcome `abandoned`); False when it ended meanwhile."""
    statement = (update(_cycles).where(_cycles.c.id == cycle_id, _cycles.c.finished_at.is_(None))
                 .values(finished_at=finished_at, outcome="abandoned", stage="FAILED", error=reason[:2000]))
    with db.session() as session:
        return affected_rows(session.execute(statement)) == 1
