"""One decision cycle's state as it travels through the stages, and the recording of each stage in
`decision_cycles` (its timeline is the audit trail: stage, start, end, duration, outcome).

Celery tasks pass only the cycle id; `cycle_from_row` rebuilds this object from the row, so every task
reads what the previous stage wrote, and analysis, risk check and execution see the same snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from trading_bot.brain.ports import ResearchOutcome, ScreenResult
from trading_bot.clock import Clock
from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.logs import get_logger
from trading_bot.risk.verdict import Verdict
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.repos import cycles as repo

log = get_logger(__name__)

STAGES = ("COLLECTING", "SCREENING", "RESEARCHING", "ANALYZING", "RISK_CHECK", "EXECUTING", "CONFIRMING",
          "JOURNALING", "REFLECTING")


class Cycle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    inst_id: str
    trigger: str  # beat | manual | backtest
    scheduled_for: datetime
    started_at: datetime
    run_id: str = "live"
    shadow: bool = False
    snapshot: MarketSnapshot | None = None
    account: Account | None = None  # as COLLECTING read them: what the brain stages see
    positions: list[Position] | None = None
    screen: ScreenResult | None = None
    research: ResearchOutcome | None = None
    decision: Decision | None = None
    verdict: Verdict | None = None
    cl_ord_id: str | None = None
    ord_id: str | None = None
    placed_at: datetime | None = None
    # Backtests only: stage records kept here and written with the cycle's end in one statement
    # (None = each stage is written when it ends, as live and the Celery tasks always do).
    _buffer: list[tuple[dict[str, Any], dict[str, Any]]] | None = PrivateAttr(default=None)

    def buffer_stages(self) -> None:
        self._buffer = []

    def take_buffer(self) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
        buffered, self._buffer = self._buffer, (None if self._buffer is None else [])
        return buffered


@dataclass
class StageRun:
    """Filled in by a stage while it runs; recorded when it ends."""

    outcome: str = "ok"
    detail: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)


def stage(db: Database, cycle: Cycle, name: str, clock: Clock) -> AbstractContextManager[StageRun]:
    """Time a stage and append it to the cycle's timeline (also when it raises: outcome 'error').
    The start is clock time (venue time in fast-forward and backtests); the duration is wall time."""
    return _recorded(db, cycle.id, cycle.inst_id, cycle._buffer, name, clock)


def stage_of_ended(db: Database, cycle_id: str, inst_id: str, name: str, clock: Clock) -> AbstractContextManager[StageRun]:
    """`stage` for a cycle that has ended, known by its id alone (REFLECTING: the review of the
    trade it opened), so the cycle need not be read back."""
    return _recorded(db, cycle_id, inst_id, None, name, clock)


@contextmanager
def _recorded(db: Database, cycle_id: str, inst_id: str, buffer: list[tuple[dict[str, Any], dict[str, Any]]] | None,
              name: str, clock: Clock) -> Iterator[StageRun]:
    assert name in STAGES, name
    run = StageRun()
    started = clock.now()
    wall = time.perf_counter()
    try:
        yield run
    except Exception as exc:
        run.outcome = "error"
        run.detail["error"] = f"{type(exc).__name__}: {exc}"[:500]
        raise
    finally:
        elapsed = time.perf_counter() - wall
        ended = started + timedelta(seconds=elapsed)
        if buffer is not None:
            buffer.append((repo.stage_entry(name, started, ended, run.outcome, run.detail or None),
                           {"stage": name, **run.columns}))
        else:
            repo.record_stage(db, cycle_id, name, started, ended, run.outcome, run.detail or None, **run.columns)
        log.info("stage", cycle_id=cycle_id, instrument=inst_id, stage=name, outcome=run.outcome,
                 ms=round(elapsed * 1000, 1))


def cycle_from_row(row: DecisionCycle) -> Cycle:
    screen = research = account = positions = None
    for entry in row.timeline or []:
        detail = entry.get("detail") or {}
        if entry.get("stage") == "COLLECTING" and "account" in detail:
            account = Account.model_validate(detail["account"])
            positions = [Position.model_validate(p) for p in detail.get("positions", [])]
        if entry.get("stage") == "SCREENING" and "screen" in detail:
            screen = ScreenResult.model_validate(detail["screen"])
        if entry.get("stage") == "RESEARCHING" and "research" in detail:
            research = ResearchOutcome.model_validate(detail["research"])
    return Cycle(
        id=row.id, inst_id=row.instrument, trigger=row.trigger, scheduled_for=row.scheduled_for,
        started_at=row.started_at, run_id=row.run_id, shadow=row.shadow,
        snapshot=MarketSnapshot.model_validate(row.snapshot) if row.snapshot else None,
        account=account, positions=positions, screen=screen, research=research,
        decision=Decision.model_validate(row.decision) if row.decision else None,
        verdict=Verdict.model_validate(row.verdict) if row.verdict else None,
        cl_ord_id=row.cl_ord_id, ord_id=_ord_id(row.timeline),
        placed_at=_placed_at(row.timeline),
    )


def _ord_id(timeline: list[dict[str, Any]] | None) -> str | None:
    for entry in reversed(timeline or []):
        ord_id = (entry.get("detail") or {}).get("ord_id")
        if ord_id:
            return str(ord_id)
    return None


def _placed_at(timeline: list[dict[str, Any]] | None) -> datetime | None:
    for entry in reversed(timeline or []):
        if entry.get("stage") == "EXECUTING" and (entry.get("detail") or {}).get("ord_id"):
            return datetime.fromisoformat(entry["ended_at"])
    return None

