"""The bot-state service of a backtest: the run's database is its own and this process its only
writer, so the state in force and the risk counters are kept in memory between the events that
change them, instead of being read back and re-derived at every cycle.

The marks `derive_status` reads from the state events (rebaselines, the last pause) are read once
and then kept by `_enter`, which writes every event of the run.

What `derive_status` reads changes only with: a state event (written here, through `_enter`), a
trade closing (the close feed's count moves: `generation`), a new UTC day, and a new equity
observation (which can only raise the peak). So the status is re-derived from PostgreSQL when any
of the first three happened (or a baseline is still missing), and otherwise the peak is raised in
memory when the recorded equity exceeds it. Every account reading is still journaled, every event
still written; a test checks a run gives the same cycles, trades and events as with the plain
service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from trading_bot.clock import Clock, start_of_utc_day
from trading_bot.domain.orders import Account
from trading_bot.risk.counters import StateMarks, derive_status
from trading_bot.risk.state import SYSTEM, BotStateService, StateRecord, _Transaction
from trading_bot.risk.status import BotState, RiskStatus
from trading_bot.storage import streams
from trading_bot.storage.db import Database
from trading_bot.storage.repos import bot_state as events
from trading_bot.storage.repos.risk_counters import record_account


class RunStateService(BotStateService):
    def __init__(self, db: Database, keys: streams.Keys, clock: Clock, run_id: str,
                 generation: Callable[[], int]) -> None:
        super().__init__(db, None, keys, clock, run_id)
        self._generation = generation
        self._record: StateRecord | None = None
        self._status: RiskStatus | None = None
        self._basis: tuple[datetime, int] | None = None
        self._marks: StateMarks | None = None  # read once, then kept up to date by `_enter`

    def assess(self, account: Account | None = None) -> tuple[RiskStatus, StateRecord]:
        with self._locked() as txn:
            recorded = account is not None and record_account(txn.session, self.run_id, account)
            record = self._in_force(txn)
            now = self.clock.now()
            basis = (start_of_utc_day(now), self._generation())
            cached = self._status
            if cached is None or basis != self._basis or cached.day_start_equity is None or cached.peak_equity is None:
                if self._marks is None:
                    self._marks = StateMarks.read(txn.session, self.run_id)
                status = derive_status(txn.session, self.run_id, record.state, record.until, now, self._marks)
            elif recorded and account is not None and account.equity > cached.peak_equity:
                status = cached.model_copy(update={"peak_equity": account.equity})
            else:
                status = cached
            self._status, self._basis = status, basis
        return status, record

    def _lock(self, session: Session) -> None:
        """No other writer: nothing to serialise against."""

    def _in_force(self, txn: _Transaction) -> StateRecord:
        if self._record is None:
            self._record = StateRecord.from_row(events.latest(txn.session, self.run_id))
        record = self._record
        if not record.expired(self.clock.now()):
            return record
        ended = "the cooldown is over" if record.state is BotState.COOLDOWN else "a new UTC day began"
        return self._enter(txn, record, BotState.RUNNING, SYSTEM, ended)

    def _enter(self, txn: _Transaction, record: StateRecord, state: BotState, actor: str, reason: str,
               until: datetime | None = None, data: dict | None = None) -> StateRecord:  # type: ignore[type-arg]
        entered = super()._enter(txn, record, state, actor, reason, until, data)
        self._record, self._status = entered, None
        if self._marks is not None:
            assert entered.since is not None
            self._marks.entered(state, entered.since, data or {})
        return entered

