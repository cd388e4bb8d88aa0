"""A backtest's trade journal in memory (storage/run_trade_book.py) answers every query the
pipeline asks exactly as the SQL does, and writes its rows so that the run's database ends holding
what a live run's would: the same sequence of repository calls goes to a plain database and to a
journal's, with checkpoints in between (rows written, then changed: their UPDATE path), and every
answer and every stored row is compared."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from tests.kit import services
from trading_bot.backtest.cycle_transaction import CycleTransactionDatabase
from trading_bot.domain.orders import Order
from trading_bot.storage.db import Database
from trading_bot.storage.repos import cycles, journal, reflections
from trading_bot.storage.repos.orders import upsert_order
from trading_bot.storage.repos.risk_counters import losing_streak
from trading_bot.storage.run_journal import BookWrittenWithSql, RunJournal

AT = datetime(2025, 6, 1, tzinfo=UTC)
INST = "BTC-USDT-SWAP"
RUN = "bt"
TRADES = 12


def _engine(url: str) -> Engine:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


@pytest.fixture
def plain(db_url: str) -> Iterator[Database]:
    engine = _engine(db_url)
    yield Database(engine)
    engine.dispose()


@pytest.fixture
def second_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    name = services.create_database(pg_admin_url, template=migrated_template)
    yield services.database_url(pg_admin_url, name)
    services.drop_database(pg_admin_url, name)


@pytest.fixture
def run_engine(second_url: str) -> Iterator[Engine]:
    engine = _engine(second_url)
    yield engine
    engine.dispose()


@pytest.fixture
def run_db(run_engine: Engine) -> Iterator[CycleTransactionDatabase]:
    db = CycleTransactionDatabase(run_engine, RunJournal(), checkpoint_seconds=3600)  # checkpoints only when asked
    yield db
    db.close()


def _order(i: int, state: str, updated: datetime, filled: str = "2") -> Order:
    return Order(ord_id=f"o{i}", cl_ord_id=f"c{i}", inst_id=INST, side="buy" if i % 2 else "sell",
                 pos_side="net", ord_type="market", state=state, size=Decimal(2), price=None,
                 avg_px=Decimal("50000") + i, filled=Decimal(filled), fee=Decimal("-0.5"), pnl=Decimal(0),
                 reduce_only=False, sl_trigger_px=Decimal("49000"), tp_trigger_px=None, created_at=AT,
                 updated_at=updated)


def _opened(i: int) -> journal.OpenedTrade:
    return journal.OpenedTrade(
        cycle_id=f"cy{i:02}", instrument=INST, side="long" if i % 2 else "short", strategy="trend",
        regime="trending", confidence=Decimal("0.7"), leverage=Decimal(3), size=Decimal(2),
        notional=Decimal("1000") + i, entry_ts=AT + timedelta(hours=i), entry_px=Decimal("50000") + i,
        stop_loss=Decimal("49000") if i % 3 else None, take_profit=Decimal("52000"), entry_cl_ord_id=f"c{i}",
        entry_ord_id=f"o{i}")


def _questions(db: Database, now: datetime) -> list[Any]:
    """Every query the pipeline asks of the trade journal, at a few arguments."""
    since = [None, AT + timedelta(hours=3), AT + timedelta(hours=7, minutes=30), AT + timedelta(days=3)]
    answers: list[Any] = [
        [journal.find_open_trade(db, INST, side, now, RUN) for side in ("long", "short")],
        [journal.recent_closed(db, limit, RUN, since=s) for limit in (1, 3, 50) for s in since],
        journal.first_exit(db, RUN),
        [journal.count_closed_since(db, s, RUN) for s in since],
        [journal.unreviewed_closed(db, limit, RUN) for limit in (2, 10)],
        [reflections.exists_for_trade(db, trade_id) for trade_id in range(1, TRADES + 1)],
        [reflections.last_of_kind(db, kind, RUN) for kind in ("post_trade", "deep")],
        [reflections.recent_contents(db, "post_trade", limit, RUN, since=s) for limit in (2, 20) for s in since],
    ]
    with db.session() as session:
        answers.append(losing_streak(session, RUN))
    return answers


def _play(db: Database, checkpoint: Any) -> list[Any]:
    """Orders, trades and reviews as a run journals them; returns every answer along the way."""
    answers: list[Any] = []
    for i in range(TRADES):
        assert cycles.start_cycle(db, f"cy{i:02}", INST, "backtest", AT + timedelta(hours=i),
                                  AT + timedelta(hours=i), run_id=RUN)
    for i in range(TRADES):
        answers.append(upsert_order(db, _order(i, "filled", AT + timedelta(hours=i)), run_id=RUN,
                                    cycle_id=f"cy{i:02}", purpose="entry"))
        answers.append(journal.open_trade(db, _opened(i), RUN))
        if i == 4:
            checkpoint()  # trades 0-4 and their orders written: what follows changes them there
    # an update older than the stored one changes nothing; a newer one does, keeping the links
    answers.append(upsert_order(db, _order(3, "live", AT, filled="0"), run_id=RUN))
    answers.append(upsert_order(db, _order(2, "filled", AT + timedelta(days=1), filled="1"), run_id=RUN))
    answers.append(journal.open_trade(db, _opened(2), RUN))  # a retried journal task: the same trade
    answers.append(_questions(db, AT + timedelta(hours=6)))
    for i in range(TRADES - 2):  # two stay open
        trade_id = journal.find_open_trade(db, INST, "long" if i % 2 else "short", AT + timedelta(hours=i), RUN)
        # exits out of entry order and two at the same time (ties go by id)
        exit_ts = AT + timedelta(hours=4 + (i * 5) % 7, minutes=0 if i in (1, 8) else i)
        net = Decimal(25) if i % 4 == 1 else Decimal(-10 - i)
        answers.append(journal.close_trade(db, trade_id, exit_ts=exit_ts, exit_px=Decimal("50100"), realized_pnl=net,
                                           fees=Decimal("-1.5"), funding=Decimal("0.25"), close_reason="stop_loss",
                                           ct_val=Decimal("0.01")))
        if i == 6:
            checkpoint()
    answers.append(journal.close_trade(db, 1, exit_ts=AT, exit_px=None, realized_pnl=Decimal(0), fees=Decimal(0),
                                       funding=Decimal(0), close_reason="x", ct_val=Decimal("0.01")))  # closed already
    for n, row in enumerate(journal.unreviewed_closed(db, 6, RUN)):
        answers.append(reflections.insert(db, kind="post_trade", model="rules", content={"lesson": f"l{row.id}"},
                                          lessons=[f"l{row.id}"], created_at=AT + timedelta(days=1, minutes=n),
                                          trade_id=row.id, run_id=RUN))
    checkpoint()
    answers.append(reflections.insert(db, kind="deep", model="rules", content={"changes": []}, lessons=[],
                                      created_at=AT + timedelta(days=1, hours=1), run_id=RUN))
    answers.append(_questions(db, AT + timedelta(days=2)))
    return answers


def _stored(engine: Engine) -> dict[str, list[Any]]:
    with engine.connect() as conn:
        return {
            "trades": [tuple(r) for r in conn.execute(text(
                "SELECT id, run_id, cycle_id, instrument, side, status, strategy, regime, confidence, leverage, size, "
                "notional, entry_ts, entry_px, stop_loss, take_profit, exit_ts, exit_px, close_reason, realized_pnl, "
                "fees, funding, net_pnl, r_multiple, entry_cl_ord_id, pos_id, created_at IS NOT NULL "
                "FROM trades ORDER BY id"))],
            "orders": [tuple(r) for r in conn.execute(text(
                "SELECT id, run_id, ord_id, cl_ord_id, cycle_id, trade_id, instrument, side, pos_side, ord_type, "
                "purpose, state, size, price, avg_px, filled, fee, pnl, reduce_only, sl_trigger_px, tp_trigger_px, "
                "raw, created_at, updated_at FROM orders ORDER BY id"))],
            "reflection_logs": [tuple(r) for r in conn.execute(text(
                "SELECT id, run_id, kind, trade_id, llm_call_id, model, content, lessons, playbook_version_before, "
                "playbook_version_after, created_at FROM reflection_logs ORDER BY id"))],
            # (an upsert that updates still draws from the sequence: only "past every id" compares)
            "sequences past the ids": [conn.execute(text(
                f"SELECT nextval(pg_get_serial_sequence('{t}', 'id')) > (SELECT coalesce(max(id), 0) FROM {t})"
            )).scalar() for t in ("trades", "orders", "reflection_logs")],
        }


def test_the_book_answers_and_stores_as_the_database_does(plain: Database, run_db: CycleTransactionDatabase,
                                                          run_engine: Engine) -> None:
    live = _play(plain, lambda: None)
    booked = _play(run_db, run_db.checkpoint)
    assert booked == live
    final = live[-1]
    assert final[2] == AT + timedelta(hours=4), "first exit"
    assert final[3] == [10, 10, 4, 0], "closed since each time"
    assert final[-1] == (2, AT + timedelta(hours=10, minutes=4)), "the newest two lost (of the tie at 9h, the later id)"
    run_db.checkpoint()
    assert run_db.journal.pending == 0
    assert _stored(run_engine) == _stored(plain.engine)


def test_a_sql_write_to_a_table_the_book_holds_is_refused(run_db: CycleTransactionDatabase) -> None:
    assert cycles.start_cycle(run_db, "cy00", INST, "backtest", AT, AT, run_id=RUN)
    with pytest.raises(BookWrittenWithSql, match="trades is held by the run's trade book"), run_db.session() as s:
        s.execute(text("UPDATE trades SET status = 'closed'"))


def test_a_rolled_back_flush_writes_the_rows_again(run_db: CycleTransactionDatabase, run_engine: Engine) -> None:
    assert cycles.start_cycle(run_db, "cy00", INST, "backtest", AT, AT, run_id=RUN)
    upsert_order(run_db, _order(0, "filled", AT), run_id=RUN, cycle_id="cy00", purpose="entry")
    trade_id = journal.open_trade(run_db, _opened(0), RUN)
    with pytest.raises(Exception, match="division by zero"), run_db.session() as session:
        session.execute(text("SELECT 1 / 0 FROM orders"))  # the order, its trade and cycle written, rolled back
    assert run_db.journal.pending == 3
    run_db.checkpoint()
    with run_engine.connect() as conn:
        assert conn.execute(text("SELECT trade_id FROM orders")).scalars().all() == [trade_id]
        assert conn.execute(text("SELECT count(*) FROM trades")).scalar() == 1
