"""Alembic is the schema's source of truth: it round-trips and agrees with the ORM models."""

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool

from tests.kit.cli import clean_env, run_cli
from trading_bot.storage import migrate
from trading_bot.storage.models import Base

EXPECTED_TABLES = {
    "trades", "orders", "fills", "positions_history", "decision_cycles", "llm_calls", "screener_logs",
    "risk_rejections", "reflection_logs", "playbook_versions", "research_cache", "performance_snapshots",
    "bot_state_events", "candles", "account_snapshots",
}


def _sa(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://")


def _tables(url: str) -> set[str]:
    engine = create_engine(_sa(url), poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_db_url: str) -> None:
    dsn = _sa(empty_db_url)
    migrate.upgrade(dsn)
    assert _tables(empty_db_url) == EXPECTED_TABLES
    assert migrate.current_revision(dsn) == migrate.head_revision()
    migrate.downgrade(dsn, "base")
    assert _tables(empty_db_url) == set()
    assert migrate.current_revision(dsn) is None
    migrate.upgrade(dsn)
    assert _tables(empty_db_url) == EXPECTED_TABLES


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = create_engine(_sa(db_url), poolclass=pool.NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_money_is_numeric_and_times_are_timestamptz(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = ANY(%s)",
            (["entry_px", "net_pnl", "fee", "cost_usd", "equity", "close", "ts", "created_at", "entry_ts"],),
        ).fetchall()
    kinds = {(table, column): kind for table, column, kind in rows}
    assert kinds[("trades", "entry_px")] == "numeric"
    assert kinds[("trades", "net_pnl")] == "numeric"
    assert kinds[("fills", "fee")] == "numeric"
    assert kinds[("llm_calls", "cost_usd")] == "numeric"
    assert kinds[("candles", "close")] == "numeric"
    assert kinds[("candles", "ts")] == "timestamp with time zone"
    assert kinds[("trades", "entry_ts")] == "timestamp with time zone"


def test_candles_plain_table_has_brin_index_without_timescaledb(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        has_timescale = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
        index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'candles' AND indexname = 'ix_candles_ts_brin'"
        ).fetchone()
        pk = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'pk_candles'"
        ).fetchone()
    assert index is not None and "brin" in index[0]
    assert pk is not None and pk[0] == "PRIMARY KEY (instrument, timeframe, ts)"
    if not has_timescale:  # this machine: plain PostgreSQL
        assert "timescaledb" not in index[0]


def test_grafana_reader_reads_but_cannot_write(db_url: str) -> None:
    reader_url = db_url.replace("postgresql://postgres@", "postgresql://grafana_reader:grafana-reader@")
    with psycopg.connect(reader_url) as conn:
        for table in EXPECTED_TABLES:
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        for statement in (
            "INSERT INTO bot_state_events (ts, to_state, actor, reason) VALUES (now(), 'RUNNING', 'x', 'y')",
            "UPDATE trades SET status = 'closed'",
            "DELETE FROM candles",
            "CREATE TABLE sneaky (id int)",
        ):
            with pytest.raises(psycopg.Error):
                conn.execute(statement)
            conn.rollback()
        with pytest.raises(psycopg.Error):
            conn.execute("SET transaction_read_only = off")
            conn.execute("INSERT INTO candles VALUES ('X','1m',now(),1,1,1,1,1,1,1,true)")
        conn.rollback()


def test_cli_db_round_trip(empty_db_url: str) -> None:
    env = clean_env(DATABASE_URL=empty_db_url)
    up = run_cli("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert f"at revision {migrate.head_revision()}" in up.stdout
    down = run_cli("db", "downgrade", "base", env=env)
    assert down.returncode == 0, down.stderr
    assert "at revision base" in down.stdout
    assert _tables(empty_db_url) == set()
    current = run_cli("db", "current", env=env)
    assert "current base" in current.stdout and "behind" in current.stdout
    again = run_cli("db", "upgrade", env=env)
    assert again.returncode == 0, again.stderr
    assert _tables(empty_db_url) == EXPECTED_TABLES
