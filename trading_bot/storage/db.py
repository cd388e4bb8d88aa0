"""Database engine and sessions (SQLAlchemy 2, psycopg 3)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from trading_bot.config import Settings

if TYPE_CHECKING:
    from trading_bot.storage.run_journal import RunJournal

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def engine_for(dsn: str, pool_size: int = 5) -> Engine:
    """One pooled engine per DSN per process."""
    with _lock:
        engine = _engines.get(dsn)
        if engine is None:
            engine = create_engine(dsn, pool_size=pool_size, max_overflow=10, pool_pre_ping=True, future=True)
            _engines[dsn] = engine
        return engine


def get_engine(settings: Settings) -> Engine:
    return engine_for(settings.database_dsn())


def dispose_engines() -> None:
    """Drop pooled connections (after fork, or before dropping a test database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


class Database:
    """Session factory bound to one engine; the unit of work is `with db.session() as s:`."""

    # A backtest's rows of the busiest tables, kept in memory and written in bulk (storage/run_journal.py);
    # None: every repository writes straight to PostgreSQL.
    journal: RunJournal | None = None

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._factory = sessionmaker(engine, expire_on_commit=False, future=True)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(get_engine(settings))

    @contextmanager
    def session(self) -> Iterator[Session]:
        session = self._factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def commit(self) -> None:
        """End a batch of units of work (a backtest's cycle). Here every unit commits itself when it
        ends, so nothing is pending; `backtest/cycle_transaction.py` batches a cycle's units."""
