"""Where a backtest writes: a database of its own on the configured PostgreSQL server, named after
the run (`tb_<run id>`), created and migrated for the run and dropped afterwards unless kept.

A database per run because the playbook (`playbook_versions`) is global: a backtest starts from
the default playbook, its reflections evolve it, and neither touches the live bot's nor another
run's. A kept database is what Grafana and `trading-bot report --run-id` read (point DATABASE_URL
at it). A Claude run keeps its database: its `llm_calls` are the recording a replay answers from
(`copy_recorded_calls` brings them into the replay's own database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import create_engine, insert, select
from sqlalchemy.engine import make_url

from trading_bot.backtest.cycle_transaction import CycleTransactionDatabase
from trading_bot.storage import migrate
from trading_bot.storage.db import Database, engine_for
from trading_bot.storage.models import LlmCall
from trading_bot.storage.run_journal import RunJournal

# The recorded calls keep their order below zero, so the replay's own calls get the ids 1, 2, … in
# the same order the recording's did (a fresh database each): a playbook lesson sourced
# "reflection:<call id>" reads the same in both runs, and so do the prompts that quote it.
RECORDED_ID_OFFSET = 10**15


# Migrating a run's new database alters the cluster-wide `grafana_reader` role (revision 0002);
# PostgreSQL refuses a second such update while one is in flight ("tuple concurrently updated"),
# so runs starting at once (`backtest --windows` workers, two commands) migrate one at a time.
MIGRATION_LOCK = int.from_bytes(b"migrate\0", "big") & 0x7FFF_FFFF_FFFF_FFFF


class NoRecording(LookupError):
    """The run to replay has no database or no recorded calls; the message says which."""


@dataclass(frozen=True)
class BacktestDatabase:
    db: CycleTransactionDatabase
    dsn: str  # SQLAlchemy URL (psycopg driver)
    name: str

    @property
    def plain_url(self) -> str:
        """The postgresql:// URL to put in DATABASE_URL (password hidden)."""
        return make_url(self.dsn).set(drivername="postgresql").render_as_string(hide_password=True)


def _plain(dsn: str) -> str:
    return make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)


def database_name_for(run_id: str) -> str:
    return "tb_" + re.sub(r"[^a-z0-9_]", "_", run_id.lower())[:55]


def _dsn_of(configured_dsn: str, name: str) -> str:
    return make_url(configured_dsn).set(database=name).render_as_string(hide_password=False)


def _exists(configured_dsn: str, name: str) -> bool:
    with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None


def _drop(configured_dsn: str, name: str) -> None:
    with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def ensure_new(configured_dsn: str, run_id: str) -> None:
    name = database_name_for(run_id)
    if _exists(configured_dsn, name):
        raise FileExistsError(f"--run-id {run_id}: database {name} exists already (a kept run); choose another run "
                              f"id or drop it")


@contextmanager
def backtest_database(configured_dsn: str, run_id: str, keep: bool) -> Iterator[BacktestDatabase]:
    """The run's own database; dropped on the way out unless `keep`."""
    name = database_name_for(run_id)
    with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        # a throwaway database need not wait for the disk at every commit: a crash loses the run,
        # which is re-run anyway (the stages still commit one by one, as live)
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    dsn = _dsn_of(configured_dsn, name)
    engine = db = None
    try:
        with _one_migration_at_a_time(configured_dsn):
            migrate.upgrade(dsn)
        # one process, one local server, a fresh database: no liveness ping before every checkout
        engine = create_engine(dsn, pool_size=2, max_overflow=2, pool_pre_ping=False)
        db = CycleTransactionDatabase(engine, RunJournal())
        yield BacktestDatabase(db, dsn, name)
    finally:
        if db is not None:
            db.close()
        if engine is not None:
            engine.dispose()
        if not keep:
            _drop(configured_dsn, name)


@contextmanager
def _one_migration_at_a_time(configured_dsn: str) -> Iterator[None]:
    """An advisory lock (scoped to the configured database, which every run on the server connects to)."""
    with psycopg.connect(_plain(configured_dsn), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))


def copy_recorded_calls(configured_dsn: str, recorded_run: str, target: Database) -> int:
    """Copy the original (not replayed) LLM calls of `recorded_run` from its kept database into
    `target`, where the replay gateway looks them up by model and prompt hash. Returns how many."""
    name = database_name_for(recorded_run)
    if not _exists(configured_dsn, name):
        raise NoRecording(f"--replay {recorded_run}: no database {name} (run the Claude backtest with --brain claude "
                          f"first; its database is kept)")
    source = engine_for(_dsn_of(configured_dsn, name), pool_size=1)
    columns = [c for c in LlmCall.__table__.columns if c.name != "cycle_id"]  # no cycles over there
    try:
        with source.connect() as conn:
            rows = [{**r._mapping, "id": r.id - RECORDED_ID_OFFSET} for r in conn.execute(
                select(*columns).where(LlmCall.run_id == recorded_run, LlmCall.replayed.is_(False)).order_by(LlmCall.id))]
    finally:
        source.dispose()
    if not rows:
        raise NoRecording(f"--replay {recorded_run}: its database holds no recorded LLM call of that run")
    with target.session() as session:
        session.execute(insert(LlmCall), rows)
    return len(rows)
