"""The cycle sweeper (beat runs it every minute of market time): every cycle ends with an outcome
and every slot has a row, whatever died on the way.

- A cycle that stopped moving (its worker died, the broker lost its next task, the database
  refused its end) is finished as `abandoned`, with the stage it reached and why, once its
  instrument's lock no longer names it and it started more than `abandon_after` ago. One whose
  entry was approved is looked up on the exchange first: an order placed under its clOrdId is
  followed through (confirm, journal) instead, so no placed order is orphaned.
- A beat slot of the last `lookback` that has no row although an earlier slot has one (the beat
  was down or waiting for its lock, the broker unreachable, the start message expired in a
  backed-up queue) gets a `missed` row with the cause as far as it can be told: a Redis or
  PostgreSQL restart inside the gap is named. `start_cycle` records the one cause it sees itself
  (the instrument's previous cycle still running) when it happens.

Times are the bot's clock (market time on the simulator); restarts are read as wall-clock ages and
scaled by the market speed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import redis
from sqlalchemy import text

from trading_bot.config import Settings
from trading_bot.exchange import orders
from trading_bot.logs import get_logger
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.locks import CycleLocks
from trading_bot.pipeline.ports import Ports
from trading_bot.pipeline.schedule import slot_for
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.repos import cycles as repo

log = get_logger(__name__)
LOOKBACK_CYCLES = 12  # slots looked at per sweep (an hour at 300 s): longer gaps are a stopped bot
ABANDON_AFTER_CYCLES = 2
STEP_MARGIN_WALL_SECONDS = 60.0  # beyond the slowest step: Celery retries with backoff, a busy machine
RESTART_SLACK_WALL_SECONDS = 90.0  # a restart this long before a gap explains it (beat lock, backoff)
UPTIME_SLACK_WALL_SECONDS = 2.0


@dataclass(frozen=True)
class SweepPolicy:
    cycle_seconds: int
    offset_seconds: int
    speed: float  # market seconds per wall second
    slowest_step_seconds: float = 120.0  # wall: the longest a step may legitimately take

    @classmethod
    def from_settings(cls, settings: Settings) -> SweepPolicy:
        # the slowest step is an analysis: research, then Opus, each timing out after its retries
        llm = settings.llm_timeout_seconds * (settings.llm_max_retries + 1)
        return cls(settings.cycle_seconds, settings.cycle_offset_seconds, settings.market_speed,
                   slowest_step_seconds=2 * llm + STEP_MARGIN_WALL_SECONDS)

    def market(self, wall_seconds: float) -> timedelta:
        return timedelta(seconds=wall_seconds * self.speed)

    @property
    def interval(self) -> timedelta:
        return timedelta(seconds=self.cycle_seconds)

    @property
    def abandon_after(self) -> timedelta:
        return max(self.interval * ABANDON_AFTER_CYCLES, self.market(self.slowest_step_seconds))


@dataclass
class SweepReport:
    abandoned: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)  # cycles whose placed entry is followed through
    missed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Restart:
    service: str
    at: datetime  # market time


def sweep(ports: Ports, locks: CycleLocks, policy: SweepPolicy, instruments: list[str],
          restarts: list[Restart], resume: Callable[[str], None]) -> SweepReport:
    """One pass; `resume(cycle_id)` hands a cycle with a placed entry to confirmation."""
    now = ports.clock.now()
    report = SweepReport()
    for row in repo.unfinished(ports.db, ports.run_id, now - policy.abandon_after):
        _settle(ports, locks, row, now, restarts, resume, report)
    for inst_id in instruments:
        report.missed += _record_missed(ports, inst_id, now, policy, restarts)
    if report.abandoned or report.resumed or report.missed:
        log.warning("cycles swept", abandoned=report.abandoned, resumed=report.resumed, missed=len(report.missed))
    return report


def _settle(ports: Ports, locks: CycleLocks, row: DecisionCycle, now: datetime, restarts: list[Restart],
            resume: Callable[[str], None], report: SweepReport) -> None:
    if locks.holder(row.instrument) == row.id:
        return  # still running (a queue backed up, a slow model): its lock outlives a dead worker by a TTL
    if row.approved:
        cl_ord_id = row.cl_ord_id or orders.cl_ord_id_for(row.id, "e")
        if ports.exchange.get_order(row.instrument, cl_ord_id=cl_ord_id) is not None:
            if locks.acquire(row.instrument, row.id):
                repo.record_stage(ports.db, row.id, "CONFIRMING", now, now, "resumed_by_sweeper",
                                  {"reason": "the entry was placed but the cycle stopped moving"},
                                  cl_ord_id=cl_ord_id)
                resume(row.id)
                report.resumed.append(row.id)
            return
    last_stage, last_seen = _last_progress(row)
    reason = (f"abandoned in {last_stage}: no progress since {last_seen:%Y-%m-%d %H:%M:%S}Z; "
              + (_explained(restarts, row.started_at, now) or "its worker or its next task was lost"))
    if repo.abandon(ports.db, row.id, now, reason):
        report.abandoned.append(row.id)


def _last_progress(row: DecisionCycle) -> tuple[str, datetime]:
    timeline = row.timeline or []
    if not timeline:
        return row.stage, row.started_at
    return timeline[-1]["stage"], datetime.fromisoformat(timeline[-1]["ended_at"])


def _record_missed(ports: Ports, inst_id: str, now: datetime, policy: SweepPolicy,
                   restarts: list[Restart]) -> list[str]:
    """Slots before the current one (whose start may still be on its way) and after the first slot
    with a row in the lookback, that have no row; each run of them is explained as one gap."""
    current = slot_for(now, policy.cycle_seconds, policy.offset_seconds)
    held = repo.beat_slots(ports.db, ports.run_id, inst_id, current - policy.interval * LOOKBACK_CYCLES, current)
    if not held:
        return []
    recorded = []
    for gap in _gaps(held, current, policy):
        # the outage that explains a gap began before it and was over when cycles resumed, at the
        # latest in the slot after it (Redis' uptime is whole seconds: a little slack for that too)
        known = _explained(restarts, gap[0] - policy.market(RESTART_SLACK_WALL_SECONDS),
                           gap[-1] + 2 * policy.interval + policy.market(UPTIME_SLACK_WALL_SECONDS))
        cause = "no cycle started for this slot: " + (known or (
            "the beat sent no start or it was not run in time (beat down or waiting for its lock, broker "
            "unreachable, or worker-market busy for most of an interval)"))
        for slot in gap:
            cycle_id = cycle_id_for(inst_id, slot, ports.run_id)
            if repo.record_missed(ports.db, cycle_id, inst_id, slot, now, cause, ports.run_id):
                recorded.append(cycle_id)
    return recorded


def _gaps(held: list[datetime], current: datetime, policy: SweepPolicy) -> list[list[datetime]]:
    """Runs of consecutive grid slots between the first held one and `current` that have no row."""
    taken = set(held)
    gaps: list[list[datetime]] = []
    run: list[datetime] = []
    slot = slot_for(held[0], policy.cycle_seconds, policy.offset_seconds) + policy.interval
    while slot < current:
        if slot in taken:
            if run:
                gaps.append(run)
            run = []
        else:
            run.append(slot)
        slot += policy.interval
    return [*gaps, run] if run else gaps


def _explained(restarts: list[Restart], since: datetime, until: datetime) -> str | None:
    named = [f"{r.service} restarted at {r.at:%Y-%m-%d %H:%M:%S}Z" for r in restarts if since <= r.at <= until]
    return "; ".join(named) or None


def service_restarts(client: redis.Redis, db: Database, now: datetime, speed: float) -> list[Restart]:
    """When Redis and PostgreSQL last started, in market time (their uptimes scaled by `speed`)."""
    wall_now = time.time()
    redis_up = float(client.info("server")["uptime_in_seconds"])
    with db.session() as session:
        pg_started = session.execute(text("SELECT extract(epoch FROM pg_postmaster_start_time())")).scalar_one()
    ages = {"Redis": redis_up, "PostgreSQL": wall_now - float(pg_started)}
    return [Restart(name, now - timedelta(seconds=age * speed)) for name, age in ages.items()]
