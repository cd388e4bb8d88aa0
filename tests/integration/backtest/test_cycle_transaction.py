"""A backtest's units of work share one transaction per cycle: what a cycle writes is seen by its
later units at once, by anyone else only after the cycle commits; a unit that raises rolls back its
cycle (and only its cycle); nested units behave as one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, select, text

from trading_bot.backtest.cycle_transaction import CycleTransactionDatabase
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.repos import cycles, screener_logs

AT = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    yield engine
    engine.dispose()


def _start(db: Database, cycle_id: str) -> None:
    assert cycles.start_cycle(db, cycle_id, "BTC-USDT-SWAP", "backtest", AT, AT, run_id="bt")


def _seen(observer: Database) -> list[str]:
    with observer.session() as session:
        return sorted(session.scalars(select(DecisionCycle.id)))


def test_a_cycle_commits_as_one_and_a_failure_loses_only_that_cycle(engine: Engine) -> None:
    db, observer = CycleTransactionDatabase(engine), Database(engine)
    _start(db, "c1")
    log_id = screener_logs.insert(db, instrument="BTC-USDT-SWAP", ts=AT, model="rules", signal=True, reason="r",
                                  bypass_reason=None, parse_error=False, llm_call_id=None, cycle_id="c1",
                                  run_id="bt")  # a later unit sees the cycle row (foreign key)
    screener_logs.mark_analyst(db, log_id, "HOLD", shadow=False)
    assert _seen(observer) == [], "nothing is visible before the cycle ends"
    db.commit()
    assert _seen(observer) == ["c1"]

    _start(db, "c2")
    with pytest.raises(Exception, match="division by zero"), db.session() as session:
        session.execute(text("SELECT 1 / 0"))  # a database error mid-cycle
    _start(db, "c3")  # the database goes on working
    db.commit()
    assert _seen(observer) == ["c1", "c3"], "the failed cycle is rolled back whole, the others stay"

    with pytest.raises(ValueError, match="not the database"), db.session():
        _start(db, "c4")
        raise ValueError("not the database")
    db.close()
    assert _seen(observer) == ["c1", "c3"]


def test_nested_units_keep_the_outer_units_objects(engine: Engine) -> None:
    db, observer = CycleTransactionDatabase(engine), Database(engine)
    _start(db, "c1")
    with db.session() as session:
        row = session.get(DecisionCycle, "c1")
        assert row is not None
        _start(db, "c2")  # an inner unit ends here
        row.outcome = "hold"  # still attached: flushed when the outer unit ends
    db.close()
    with observer.session() as session:
        assert session.get(DecisionCycle, "c1").outcome == "hold"  # type: ignore[union-attr]
    assert _seen(observer) == ["c1", "c2"]
