"""A backtest's units of work, one transaction per cycle.

Live, every `with db.session()` is its own transaction: a crash mid-cycle keeps what the finished
stages wrote. A backtest's database has one user, this process, and a failed cycle ends the run, so
the units of work of one cycle share a session and commit together when the cycle ends: one COMMIT
(and one BEGIN) per cycle instead of one per unit, about half of the round trips to PostgreSQL.

Each unit still behaves as live: its writes are flushed when it ends (later reads see them, ids are
assigned) and the identity map is emptied, so no ORM object outlives its unit and the next unit
reads rows afresh. An exception leaving a unit rolls back the open cycle (`rollback`), as a live
unit's rollback would, only wider: the cycle is lost, the cycles before it are committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from trading_bot.storage.db import Database


class CycleTransactionDatabase(Database):
    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._open: Session | None = None
        self._depth = 0

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
        """End the cycle: what its units wrote is committed."""
        if self._open is not None:
            assert self._depth == 0, "commit inside a unit of work"
            self._open.commit()

    def rollback(self) -> None:
        """Drop what the open cycle wrote (after an error)."""
        if self._open is not None:
            self._open.rollback()
            self._open.close()
            self._open = None

    def close(self) -> None:
        self.commit()
        if self._open is not None:
            self._open.close()
            self._open = None
