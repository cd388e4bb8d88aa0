"""The bot-state reads of a backtest (risk/state.py's `StateReads` extension point): the run's
database is its own and this process its only writer, so the state in force and the risk counters
are kept in memory between the events that change them, instead of being read back and re-derived
at every cycle.

The marks `derive_status` reads from the state events (rebaselines, the last pause) are read once
and then kept by `entered`, which the service calls for every event of the run it writes.

What `derive_status` reads changes only with: a state event (`entered`), a trade closing (the
close feed's count moves: `generation`), a new UTC day, and a new equity observation (which can
only raise the peak). So the status is re-derived from PostgreSQL when any of the first three
happened (or a baseline is still missing), and otherwise the peak is raised in memory when the
recorded equity exceeds it. Every account reading is still journaled, every event still written; a
test checks a run gives the same cycles, trades and events as with the plain reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from trading_bot.clock import Clock, start_of_utc_day
from trading_bot.domain.orders import Account
from trading_bot.risk.counters import StateMarks, derive_status
from trading_bot.risk.state import BotStateService, StateRecord
from trading_bot.risk.status import RiskStatus
from trading_bot.storage import streams
from trading_bot.storage.db import Database
from trading_bot.storage.repos import bot_state as events


class SingleWriterReads:
    serialised = False  # no other writer: nothing to lock against

    def __init__(self, generation: Callable[[], int]) -> None:
        self._generation = generation
        self._record: StateRecord | None = None
        self._status: RiskStatus | None = None
        self._basis: tuple[datetime, int] | None = None
        self._marks: StateMarks | None = None  # read once, then kept up to date by `entered`

    def in_force(self, session: Session, run_id: str) -> StateRecord:
        if self._record is None:
            self._record = StateRecord.from_row(events.latest(session, run_id))
        return self._record

    def status(self, session: Session, run_id: str, record: StateRecord, now: datetime,
               recorded: Account | None) -> RiskStatus:
        basis = (start_of_utc_day(now), self._generation())
        cached = self._status
        if cached is None or basis != self._basis or cached.day_start_equity is None or cached.peak_equity is None:
            if self._marks is None:
                self._marks = StateMarks.read(session, run_id)
            status = derive_status(session, run_id, record.state, record.until, now, self._marks)
        elif recorded is not None and recorded.equity > cached.peak_equity:
            status = cached.model_copy(update={"peak_equity": recorded.equity})
        else:
            status = cached
        self._status, self._basis = status, basis
        return status

    def entered(self, record: StateRecord) -> None:
        self._record, self._status = record, None
        if self._marks is not None:
            assert record.since is not None
            self._marks.entered(record.state, record.since, record.data)


def run_state_service(db: Database, keys: streams.Keys, clock: Clock, run_id: str,
                      generation: Callable[[], int]) -> BotStateService:
    """The bot-state service of a backtest run (no Redis: nobody else reads its cache)."""
    return BotStateService(db, None, keys, clock, run_id, reads=SingleWriterReads(generation))
