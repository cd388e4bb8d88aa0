"""Where a backtest writes: by default a throwaway database on the configured PostgreSQL server
(created and migrated for the run, dropped afterwards unless kept), or the configured database
itself (`--db`: Grafana and `trading-bot report --run-id` see the run; its own run_id keeps it
apart from live rows)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy.engine import make_url

from trading_bot.storage import migrate
from trading_bot.storage.db import Database, engine_for


@dataclass(frozen=True)
class BacktestDatabase:
    db: Database
    dsn: str  # SQLAlchemy URL (psycopg driver)
    name: str
    throwaway: bool

    @property
    def plain_url(self) -> str:
        """The postgresql:// URL to put in DATABASE_URL (password hidden)."""
        return make_url(self.dsn).set(drivername="postgresql").render_as_string(hide_password=True)


def _plain(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


def database_name_for(run_id: str) -> str:
    return "tb_" + re.sub(r"[^a-z0-9_]", "_", run_id.lower())[:55]


@contextmanager
def backtest_database(configured_dsn: str, run_id: str, throwaway: bool, keep: bool) -> Iterator[BacktestDatabase]:
    """The database of one run; a throwaway one is dropped on the way out unless `keep`."""
    if not throwaway:
        migrate.upgrade(configured_dsn)
        yield BacktestDatabase(Database(engine_for(configured_dsn)), configured_dsn, make_url(configured_dsn).database or "",
                               throwaway=False)
        return
    name = database_name_for(run_id)
    with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = make_url(configured_dsn).set(database=name).render_as_string(hide_password=False)
    engine = None
    try:
        migrate.upgrade(dsn)
        engine = engine_for(dsn, pool_size=2)
        yield BacktestDatabase(Database(engine), dsn, name, throwaway=True)
    finally:
        if engine is not None:
            engine.dispose()
        if not keep:
            with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
