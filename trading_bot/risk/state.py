"""The bot's safety state: RUNNING, COOLDOWN, HALTED, EMERGENCY_HALTED.

PostgreSQL (`bot_state_events`, one row per transition: who or what, why, until when) is the
truth; Redis (`Keys.bot_state()`) caches the current state for quick readers; every transition is
published on `system:alerts` (CRITICAL for the halts, WARN for a cooldown, INFO for a resume).

Transitions:
- the risk gate escalates to a MORE severe state only (RUNNING < COOLDOWN < HALTED < EMERGENCY_HALTED);
- COOLDOWN and a daily-loss HALT end by themselves at their `until` (noticed on the next read);
- an admin may halt from RUNNING, COOLDOWN or a daily HALT (the halt then lasts until a resume) and
  declare an emergency from any state below it; an admin may resume from HALTED and
  EMERGENCY_HALTED only (a cooldown is not cut short; RUNNING has nothing to resume). A resume
  restarts the daily-loss baseline (and after an emergency the peak) from the equity at that time.
Time comes from the injected clock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import redis
from sqlalchemy.orm import Session

from trading_bot.clock import Clock
from trading_bot.domain.events import Alert
from trading_bot.domain.market import Frozen
from trading_bot.domain.orders import Account
from trading_bot.domain.snapshot import Severity
from trading_bot.logs import get_logger
from trading_bot.risk.counters import derive_status
from trading_bot.risk.status import BotState, RiskStatus
from trading_bot.risk.verdict import Escalation
from trading_bot.storage import streams
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, BotStateEvent
from trading_bot.storage.repos import bot_state as events
from trading_bot.storage.repos import risk_counters as journal

log = get_logger(__name__)

SYSTEM = "system"
RISK_GATE = "risk_gate"
_SEVERITY_OF_ALERT: dict[BotState, Severity] = {BotState.RUNNING: "INFO", BotState.COOLDOWN: "WARN", BotState.HALTED: "CRITICAL",
                      BotState.EMERGENCY_HALTED: "CRITICAL"}
RESUMABLE = (BotState.HALTED, BotState.EMERGENCY_HALTED)


class TransitionRefused(Exception):
    """An admin asked for a transition the current state does not allow; str() says why."""


class StateRecord(Frozen):
    """The state in force and the transition that entered it."""

    state: BotState
    since: datetime | None  # None: no transition recorded yet (a new bot starts RUNNING)
    until: datetime | None = None
    actor: str = SYSTEM
    reason: str = "no state change recorded yet"
    data: dict[str, Any] = {}

    @classmethod
    def from_row(cls, row: BotStateEvent | None) -> StateRecord:
        if row is None:
            return cls(state=BotState.RUNNING, since=None)
        return cls(state=BotState(row.to_state), since=row.ts, until=row.until, actor=row.actor, reason=row.reason,
                   data=row.data or {})

    def expired(self, now: datetime) -> bool:
        return self.state in (BotState.COOLDOWN, BotState.HALTED) and self.until is not None and now >= self.until


class StateReads(Protocol):
    """How the service reads the state in force and the risk counters: the extension point a
    single-writer run (a backtest, backtest/risk_state.py) replaces to keep them in memory."""

    serialised: bool  # several writers: take the run's advisory lock before writing a transition

    def in_force(self, session: Session, run_id: str) -> StateRecord:
        """The latest transition's record (it may have expired: the service ends it)."""
        ...

    def status(self, session: Session, run_id: str, record: StateRecord, now: datetime,
               recorded: Account | None) -> RiskStatus:
        """The counters the gate reads; `recorded`: an account reading just journaled (else None)."""
        ...

    def entered(self, record: StateRecord) -> None:
        """A transition was written in this process (before its commit)."""
        ...


class DatabaseReads:
    """Everything read from PostgreSQL each time: the live bot, where the pipeline, Telegram and the
    CLI all write transitions."""

    serialised = True

    def in_force(self, session: Session, run_id: str) -> StateRecord:
        return StateRecord.from_row(events.latest(session, run_id))

    def status(self, session: Session, run_id: str, record: StateRecord, now: datetime,
               recorded: Account | None) -> RiskStatus:
        return derive_status(session, run_id, record.state, record.until, now)

    def entered(self, record: StateRecord) -> None:
        pass


@dataclass
class _Transaction:
    """One unit of work on the state events (locked to write a transition); transitions are
    announced only after it commits."""

    session: Session
    locked: bool = False  # holds the run's advisory lock (readers take it only to write a transition)
    entered: list[tuple[BotState, StateRecord]] = field(default_factory=list)


class BotStateService:
    def __init__(self, db: Database, redis_client: redis.Redis | None, keys: streams.Keys, clock: Clock,
                 run_id: str = LIVE_RUN, reads: StateReads | None = None) -> None:
        self.db, self.redis, self.keys, self.clock, self.run_id = db, redis_client, keys, clock, run_id
        self.reads: StateReads = reads or DatabaseReads()

    # --- reading ------------------------------------------------------------------------------
    def current(self) -> StateRecord:
        """The state in force now; an ended cooldown or daily halt is turned into RUNNING first."""
        with self._locked() as txn:
            record = self._in_force(txn)
        self._cache(record)
        return record

    def status(self, account: Account | None = None) -> RiskStatus:
        """The state in force with the counters the gate reads; `account` (the latest account
        reading) is journaled first, so the equity it shows counts."""
        return self.assess(account)[0]

    def assess(self, account: Account | None = None) -> tuple[RiskStatus, StateRecord]:
        """`status` and the state record in force, read together (one transaction, no lock unless
        an ended cooldown or daily halt has to be written)."""
        with self._locked(lock=False) as txn:
            recorded = account is not None and journal.record_account(txn.session, self.run_id, account)
            record = self._in_force(txn)
            status = self.reads.status(txn.session, self.run_id, record, self.clock.now(),
                                       account if recorded else None)
        self._cache(record)
        return status, record

    def history(self, limit: int = 20) -> list[StateRecord]:
        with self.db.session() as session:
            return [StateRecord.from_row(row) for row in events.history(session, self.run_id, limit)]

    # --- the risk gate ------------------------------------------------------------------------
    def escalate(self, escalation: Escalation, actor: str = RISK_GATE) -> StateRecord | None:
        """Apply the gate's escalation if it is more severe than the state in force; else None."""
        with self._locked() as txn:
            record = self._in_force(txn)
            if escalation.to_state.severity <= record.state.severity:
                return None
            data = {"rule": str(escalation.rule), "numbers": _jsonable(escalation.numbers)}
            return self._enter(txn, record, escalation.to_state, actor, escalation.reason, escalation.until, data)

    # --- admins (Telegram /halt /resume, the CLI) ---------------------------------------------
    def halt(self, actor: str, reason: str, emergency: bool = False) -> StateRecord:
        """Stop new entries until an admin resumes (`emergency`: also close everything, which the
        holder of an exchange does with risk.emergency)."""
        target = BotState.EMERGENCY_HALTED if emergency else BotState.HALTED
        with self._locked() as txn:
            record = self._in_force(txn)
            if record.state.severity > target.severity or (record.state is target and record.until is None):
                raise TransitionRefused(f"the bot is already {record.state} (since {_when(record.since)})")
            return self._enter(txn, record, target, actor, reason or "halted by an admin")

    def resume(self, actor: str, reason: str) -> StateRecord:
        with self._locked() as txn:
            record = self._in_force(txn)
            if record.state not in RESUMABLE:
                raise TransitionRefused(_not_resumable(record))
            counters = ["day", "peak"] if record.state is BotState.EMERGENCY_HALTED else ["day"]
            return self._enter(txn, record, BotState.RUNNING, actor, reason or "resumed by an admin",
                               data={"rebaseline": counters})

    # --- internals ----------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, lock: bool = True) -> Iterator[_Transaction]:
        with self.db.session() as session:
            txn = _Transaction(session)
            if lock:
                self._hold_lock(txn)
            yield txn
        for before, record in txn.entered:  # committed: now tell everyone
            log.warning("bot state changed", from_state=str(before), to_state=str(record.state), actor=record.actor,
                        reason=record.reason, until=record.until.isoformat() if record.until else None)
            self._cache(record)
            self._alert(before, record)

    def _hold_lock(self, txn: _Transaction) -> None:
        """Serialise the run's transitions (the pipeline, Telegram and the CLI may all write)."""
        if not txn.locked and self.reads.serialised:
            events.lock_run(txn.session, self.run_id)
            txn.locked = True

    def _in_force(self, txn: _Transaction) -> StateRecord:
        record = self.reads.in_force(txn.session, self.run_id)
        if not record.expired(self.clock.now()):
            return record
        if self.reads.serialised and not txn.locked:  # a transition is due: read again under the lock
            # (another writer may have made it)
            self._hold_lock(txn)
            return self._in_force(txn)
        ended = "the cooldown is over" if record.state is BotState.COOLDOWN else "a new UTC day began"
        return self._enter(txn, record, BotState.RUNNING, SYSTEM, ended)

    def _enter(self, txn: _Transaction, record: StateRecord, state: BotState, actor: str, reason: str,
               until: datetime | None = None, data: dict[str, Any] | None = None) -> StateRecord:
        now = self.clock.now()
        events.insert(txn.session, run_id=self.run_id, ts=now, from_state=str(record.state), to_state=str(state),
                      actor=actor, reason=reason, until=until, data=data or {})
        entered = StateRecord(state=state, since=now, until=until, actor=actor, reason=reason, data=data or {})
        txn.entered.append((record.state, entered))
        self.reads.entered(entered)
        return entered

    def _cache(self, record: StateRecord) -> None:
        if self.redis is None:
            return
        try:
            self.redis.set(self.keys.bot_state(), record.model_dump_json())
        except redis.RedisError as exc:  # PostgreSQL holds the truth; readers fall back to it
            log.error("bot state cache not updated", error=str(exc))

    def publish(self, alert: Alert) -> None:
        """Put an alert on `system:alerts` (logged, not raised, when Redis is unreachable)."""
        if self.redis is None:
            return
        try:
            streams.publish(self.redis, self.keys, streams.SYSTEM_ALERTS, alert)
        except redis.RedisError as exc:
            log.error("alert not published", error=str(exc), kind=alert.kind)

    def _alert(self, before: BotState, record: StateRecord) -> None:
        until = f" until {record.until:%Y-%m-%d %H:%M} UTC" if record.until else ""
        alert = Alert(severity=_SEVERITY_OF_ALERT[record.state], kind=f"bot_{record.state.lower()}",
                      message=f"bot {before} → {record.state}{until}: {record.reason} ({record.actor})",
                      data={"from": str(before), "to": str(record.state), "actor": record.actor,
                            "reason": record.reason, "until": record.until.isoformat() if record.until else None},
                      ts=record.since or self.clock.now())
        self.publish(alert)


def cached_state(redis_client: redis.Redis, keys: streams.Keys) -> StateRecord | None:
    """The cached state for quick readers (None when the cache is empty: ask the service)."""
    raw = redis_client.get(keys.bot_state())
    return StateRecord.model_validate_json(raw) if raw else None


def _not_resumable(record: StateRecord) -> str:
    if record.state is BotState.COOLDOWN:
        return f"the bot is cooling down after losses and resumes by itself at {_when(record.until)}"
    return "the bot is already RUNNING"


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC" if moment else "the start"


def _jsonable(numbers: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, int | float | str | None) else str(value) for key, value in numbers.items()}
