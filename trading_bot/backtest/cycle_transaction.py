"""A backtest's units of work, one transaction per cycle.

Live, every `with db.session()` is its own transaction: a crash mid-cycle keeps what the finished
stages wrote. A backtest's database has one user, this process, and a failed cycle ends the run, so
the units of work of one cycle share a session and commit together when the cycle ends: one COMMIT
(and one BEGIN) per cycle instead of one per unit, about half of the round trips to PostgreSQL.

Each unit still behaves as live: its writes are flushed when it ends (later reads see them, ids are
assigned) and the identity map is emptied, so no ORM object outlives its unit and the next unit
reads rows afresh. An exception leaving a unit rolls back the open cycle (`rollback`), as a live
unit's rollback would, only wider: the cycle is lost, the cycles before it are committed.

The busiest rows (a cycle's own row, its screen, its account readings) wait in the run's journal
(storage/run_journal.py) until a statement that could see them runs (it writes them first, in the
cycle's transaction) or a checkpoint comes. A checkpoint, at the first cycle end after
CHECKPOINT_SECONDS of wall time, writes them out and commits, so a crash loses at most the cycles
since the last one, and every committed cycle is complete; a stop request (Ctrl-C) or the end of
the run commits everything."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from trading_bot.storage.db import Database
from trading_bot.storage.run_journal import RunJournal, driver_connection

CHECKPOINT_SECONDS = 2.0


class CycleTransactionDatabase(Database):
    def __init__(self, engine: Engine, journal: RunJournal | None = None,
                 checkpoint_seconds: float = CHECKPOINT_SECONDS) -> None:
        super().__init__(engine)
        self.checkpoint_seconds = checkpoint_seconds
        self._open: Session | None = None
        self._depth = 0
        self.journal = journal
        self._checkpoint_at = time.monotonic()
        self._unhook: Callable[[], None] = lambda: None
        self._connection: Connection | None = None  # the open cycle's, once it ran a statement
        if journal is not None:
            self._factory = sessionmaker(engine, expire_on_commit=False, future=True, info={"journal": journal})
            event.listen(self._factory, "after_begin", self._began)
            self._unhook = journal.flush_before_statements(engine, lambda conn: conn is self._connection)

    def _began(self, session: Session, transaction: SessionTransaction, connection: Connection) -> None:
        self._connection = connection

    @contextmanager
    def session(self) -> Iterator[Session]:
        if self._open is None:
            self._open = self._factory()
        session = self._open
        self._depth += 1
        try:
            yield session
            session.flush()
        except BaseException:
            self.rollback()
            raise
        finally:
            self._depth -= 1
            if self._depth == 0 and self._open is not None:
                session.expunge_all()

    def commit(self) -> None:
        """End the cycle: what its units wrote is committed. The journal's rows wait for the next
        checkpoint (a statement that needed some wrote those first, in this transaction)."""
        assert self._depth == 0, "commit inside a unit of work"
        if (self.journal is not None and self.journal.pending
                and time.monotonic() - self._checkpoint_at >= self.checkpoint_seconds):
            self.checkpoint()
        elif self._open is not None and self._open.in_transaction():
            self._commit_open()

    def checkpoint(self) -> None:
        """Write the journal's rows and commit everything."""
        if self._open is None:
            self._open = self._factory()
        if self.journal is not None and self.journal.pending:
            self.journal.flush(driver_connection(self._open.connection()))
        self._commit_open()
        self._checkpoint_at = time.monotonic()

    def _commit_open(self) -> None:
        assert self._open is not None
        if self.journal is not None and self._open.in_transaction():
            self.journal.sync_sequences(driver_connection(self._open.connection()))
        self._open.commit()
        if self.journal is not None:
            self.journal.committed()

    def rollback(self) -> None:
        """Drop what the open cycle wrote (after an error)."""
        if self._open is not None:
            self._open.rollback()
            self._open.close()
            self._open = None
        if self.journal is not None:
            self.journal.rolled_back()

    def close(self) -> None:
        self.checkpoint()
        self._unhook()
        if self._open is not None:
            self._open.close()
            self._open = None
