"""A backtest's journal in memory (storage/run_journal.py) on a real database: its rows reach
PostgreSQL at checkpoints, before any statement that could see them, and are never lost or written
twice, also when a transaction rolls back; a run killed outright keeps every cycle up to its last
checkpoint, each one complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from tests.integration.backtest.conftest import FUNDING, ONE_MINUTE
from tests.kit import services
from tests.kit.cli import ROOT, clean_env
from trading_bot.backtest.cycle_transaction import CycleTransactionDatabase
from trading_bot.domain.orders import Account
from trading_bot.storage.db import Database
from trading_bot.storage.models import AccountSnapshot, DecisionCycle, ScreenerLog
from trading_bot.storage.repos import cycles, screener_logs
from trading_bot.storage.repos.account import upsert_account
from trading_bot.storage.repos.risk_counters import equity_at, peak_equity_since, record_account
from trading_bot.storage.run_journal import RunJournal

AT = datetime(2025, 6, 1, tzinfo=UTC)
INST = "BTC-USDT-SWAP"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


@pytest.fixture
def run_db(engine: Engine) -> Iterator[CycleTransactionDatabase]:
    db = CycleTransactionDatabase(engine, RunJournal(), checkpoint_seconds=3600)  # checkpoints only when asked
    yield db
    db.close()


def _start(db: Database, cycle_id: str, at: datetime = AT) -> None:
    assert cycles.start_cycle(db, cycle_id, INST, "backtest", at, at, run_id="bt")


def _screen(db: Database, cycle_id: str, at: datetime, signal: bool = True, bypass: str | None = None) -> int:
    return screener_logs.insert(db, instrument=INST, ts=at, model="rules", signal=signal, reason="r",
                                bypass_reason=bypass, parse_error=False, llm_call_id=None, cycle_id=cycle_id,
                                run_id="bt")


def _finish(db: Database, cycle_id: str, outcome: str = "hold") -> None:
    cycles.finish_buffered(db, cycle_id, [({"stage": "COLLECTING", "ms": 1.0}, {"stage": "COLLECTING"})],
                           AT, AT + timedelta(seconds=1), outcome)


def _cycles_seen(observer: Database) -> list[tuple[str, str | None]]:
    with observer.session() as session:
        return [(r.id, r.outcome) for r in session.scalars(select(DecisionCycle).order_by(DecisionCycle.id))]


def test_rows_wait_in_memory_until_a_checkpoint(engine: Engine, run_db: CycleTransactionDatabase) -> None:
    observer = Database(engine)
    _start(run_db, "c1")
    log_id = _screen(run_db, "c1", AT)
    screener_logs.mark_analyst(run_db, log_id, "HOLD", shadow=True)
    _finish(run_db, "c1")
    run_db.commit()  # the cycle ran no statement: nothing to commit yet
    assert _cycles_seen(observer) == [] and run_db.journal.pending == 2
    run_db.checkpoint()
    assert _cycles_seen(observer) == [("c1", "hold")] and run_db.journal.pending == 0
    with observer.session() as session:
        log = session.get(ScreenerLog, log_id)
        assert (log.signal, log.analyst_action, log.analyst_agreed, log.shadow_analysed) == (True, "HOLD", False, True)
        row = session.get(DecisionCycle, "c1")
        assert row.stage == "DONE" and row.latency_ms == 1000 and row.cost_usd == 0
        assert [e["stage"] for e in row.timeline] == ["COLLECTING"]
    assert not cycles.start_cycle(run_db, "c1", INST, "backtest", AT, AT, run_id="bt"), "one row per cycle id"


def test_a_statement_that_could_see_the_rows_writes_them_first(engine: Engine,
                                                              run_db: CycleTransactionDatabase) -> None:
    observer = Database(engine)
    _start(run_db, "c1")
    with run_db.session() as session:  # a query of another table: the rows stay in memory
        session.execute(text("SELECT count(*) FROM bot_state_events"))
    assert run_db.journal.pending == 1
    row = cycles.get_cycle(run_db, "c1")  # a query naming the table: written first, so it is found
    assert row is not None and row.stage == "COLLECTING" and run_db.journal.pending == 0
    assert _cycles_seen(observer) == [], "written in the run's open transaction, not committed"
    _finish(run_db, "c1", "screened_out")  # the row is in the database now: updated there
    run_db.commit()  # the cycle ran statements: it commits
    assert _cycles_seen(observer) == [("c1", "screened_out")]


def test_a_rollback_gives_the_written_rows_back_nothing_lost_nothing_twice(engine: Engine,
                                                                          run_db: CycleTransactionDatabase) -> None:
    observer = Database(engine)
    _start(run_db, "c1")
    _finish(run_db, "c1")
    _start(run_db, "c2")
    with pytest.raises(Exception, match="division by zero"), run_db.session() as session:
        session.execute(text("SELECT 1 / 0 FROM decision_cycles"))  # c1 and c2 written, then rolled back
    assert run_db.journal.pending == 2
    _finish(run_db, "c2", "error")  # the failed cycle still ends with its outcome
    run_db.checkpoint()
    assert _cycles_seen(observer) == [("c1", "hold"), ("c2", "error")]


def test_the_pass_rate_and_equity_curve_read_as_the_database_would(engine: Engine,
                                                                      run_db: CycleTransactionDatabase) -> None:
    plain = Database(engine)
    for i in range(30):
        at = AT + timedelta(minutes=15 * i)
        _start(run_db, f"c{i:02}", at)
        _screen(run_db, f"c{i:02}", at, signal=i % 3 == 0, bypass="holding" if i % 7 == 0 else None)
        if i == 12:
            run_db.checkpoint()  # some written, some still in memory
    windows = [(AT, AT + timedelta(hours=2)), (AT + timedelta(hours=1), AT + timedelta(hours=9)),
               (AT - timedelta(days=1), AT + timedelta(days=1)), (AT + timedelta(days=2), AT + timedelta(days=3))]
    from_memory = [screener_logs.pass_rate(run_db, start, end, "bt") for start, end in windows]
    run_db.checkpoint()
    assert from_memory == [screener_logs.pass_rate(plain, start, end, "bt") for start, end in windows]
    assert from_memory[2] == (25, 8)  # 30 screens, 5 bypassed; passes at 3, 6, 9, 12, 15, 18, 24, 27

    equities = [Decimal(v) for v in ("100.5", "103", "99", "104.25", "101", "104.25", "98")]
    with run_db.session() as session:
        for i, equity in enumerate(equities):
            reading = Account(ts=AT + timedelta(hours=i), equity=equity, available=equity, frozen=Decimal(0),
                              upl=Decimal(0))
            assert record_account(session, "bt", reading)
            assert not record_account(session, "bt", reading), "one reading per timestamp, as ON CONFLICT"
            if i == 3:
                run_db.checkpoint()
    upsert_account(run_db, Account(ts=AT + timedelta(hours=6), equity=Decimal("97.5"), available=Decimal(0),
                                   frozen=Decimal(0), upl=Decimal(0)), "bt")  # the final reading, replaced
    moments = [None, AT - timedelta(hours=1), AT, AT + timedelta(minutes=90), AT + timedelta(hours=4),
               AT + timedelta(days=1)]
    with run_db.session() as session:  # from the journal's curve, no query
        remembered = [(equity_at(session, "bt", m or AT), peak_equity_since(session, "bt", m)) for m in moments]
    run_db.checkpoint()
    with plain.session() as session:  # the same questions to the database
        assert remembered == [(equity_at(session, "bt", m or AT), peak_equity_since(session, "bt", m))
                              for m in moments]
        assert session.scalars(select(AccountSnapshot.equity).order_by(AccountSnapshot.ts)).all() == \
            [*equities[:6], Decimal("97.5")]
    assert remembered[0] == (Decimal("100.5"), Decimal("104.25")) and remembered[4] == (Decimal("101"), Decimal("104.25"))
    new_id = _screen(plain, None, AT)  # a screen written without the journal gets a fresh id
    with plain.session() as session:
        assert session.scalar(select(func.count(func.distinct(ScreenerLog.id)))) == 31 and new_id == 31


def _finished_slots(admin_url: str, name: str) -> list[tuple[datetime, str | None]]:
    try:
        with psycopg.connect(services.database_url(admin_url, name), connect_timeout=2) as conn:
            return conn.execute("SELECT scheduled_for, outcome FROM decision_cycles ORDER BY scheduled_for").fetchall()
    except psycopg.Error:
        return []


@pytest.mark.shared
@pytest.mark.slow
def test_a_killed_run_keeps_every_cycle_up_to_its_last_checkpoint(shared_dir: Path, db_url: str,
                                                                 pg_admin_url: str, tmp_path: Path) -> None:
    name = "tb_bt_killed"
    services.drop_database(pg_admin_url, name)
    process = subprocess.Popen(
        [sys.executable, "-m", "trading_bot", "backtest", "--data", str(shared_dir / "data" / ONE_MINUTE),
         "--funding", str(shared_dir / "data" / FUNDING), "--from", "2026-01-05T00:00:00Z",
         "--to", "2026-01-12T00:00:00Z", "--cycle", "1m", "--run-id", "bt-killed", "--keep",
         "--out", str(tmp_path / "out")],  # a cycle a minute for a week: ~16 s, so it is killed mid-run
        env=clean_env(DATABASE_URL=db_url), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline, counts = time.monotonic() + 240, []
        while time.monotonic() < deadline and process.poll() is None:
            counts.append(len(_finished_slots(pg_admin_url, name)))
            if counts[-1] >= 40 and len(set(counts)) >= 3:  # checkpoints seen landing while it runs
                break
            time.sleep(0.5)
        assert process.poll() is None, "the backtest ended before it could be killed"
        os.kill(process.pid, signal.SIGKILL)  # no handler runs: what is committed is all there is
        process.wait(timeout=30)
        rows = _finished_slots(pg_admin_url, name)
        assert process.returncode == -signal.SIGKILL, process.stderr.read()[-2000:] if process.stderr else ""
        assert len(rows) >= counts[-1] >= 40 and len(set(counts)) >= 3, counts
        assert all(outcome is not None for _, outcome in rows), "every committed cycle is complete"
        slots = [slot for slot, _ in rows]
        assert all(b - a == timedelta(minutes=1) for a, b in zip(slots, slots[1:], strict=False)), \
            "the kept cycles are the first ones, without a gap"
    finally:
        if process.poll() is None:
            process.kill()
        services.drop_database(pg_admin_url, name)
