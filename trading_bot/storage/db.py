"""Database engine and sessions (SQLAlchemy 2, psycopg 3)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, Engine, Result, Table, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from trading_bot.config import Settings

if TYPE_CHECKING:
    from trading_bot.storage.run_journal import RunJournal

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


PING_AFTER_IDLE_SECONDS = 1.0


def engine_for(dsn: str, pool_size: int = 5) -> Engine:
    """One pooled engine per DSN per process."""
    with _lock:
        engine = _engines.get(dsn)
        if engine is None:
            engine = create_engine(dsn, pool_size=pool_size, max_overflow=10, future=True)
            _ping_idle_connections(engine)
            _engines[dsn] = engine
        return engine


def _ping_idle_connections(engine: Engine) -> None:
    """A pooled connection idle for more than PING_AFTER_IDLE_SECONDS is tested before use, and
    replaced if the server went away meanwhile (a PostgreSQL restart). SQLAlchemy's pre-ping does
    that on every checkout: one more round trip per unit of work, which doubled the statements of
    a short one (a stage's record). A connection back in the pool for less is used as it is; if
    the server died in that second, the statement fails as a storage outage (which the callers
    retry) and SQLAlchemy discards the pool's older connections."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in <= PING_AFTER_IDLE_SECONDS:
            return  # new, or just used
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"the pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("the pooled connection failed its ping")


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


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core table a mapped class is declared on (for statements built once, on the table)."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def affected_rows(result: Result[Any]) -> int:
    """The rows an UPDATE or DELETE matched (its result is a cursor result)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"no row count on a {type(result).__name__}")
    return result.rowcount
