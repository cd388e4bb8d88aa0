"""The whole decision pipeline in one process over the in-process simulator replaying real
BTC-USDT-SWAP 15m candles, with the offline rules brain, a real PostgreSQL and the real gate."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.clock import parse_iso
from trading_bot.config import Settings, load_settings
from trading_bot.exchange.orders import close
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline.closing import journal_pending_closes, review_pending
from trading_bot.pipeline.flow import run_cycle
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, Order, PlaybookVersion, ReflectionLog, Trade

pytestmark = [pytest.mark.shared, pytest.mark.slow]
INST = "BTC-USDT-SWAP"
START = parse_iso("2025-06-01T00:00:00Z")
CYCLES = 160


@pytest.fixture
def run(shared_dir: Path, settings: Settings, database: Database):  # noqa: ANN201
    settings = load_settings(database_url=settings.database_dsn().replace("+psycopg", ""), brain_mode="rules",
                             cycle_seconds=900, deep_reflection_every_trades=3, redis_namespace=settings.redis_namespace)
    data = str(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather")
    exchange = InProcessExchange(build_venue(SimSpec(data=[data], start=START, speed=0), START))
    ports = inprocess_ports(settings, exchange, database, "live")
    outcomes: Counter[str] = Counter()
    protected_after_fill = []
    slot = START
    for _ in range(CYCLES):
        slot += timedelta(minutes=15)
        exchange.advance_to(slot + timedelta(seconds=5))
        outcome = run_cycle(ports, INST, slot)
        outcomes[outcome or "none"] += 1
        if outcome == "filled":
            algos = exchange.pending_algo_orders(INST)
            protected_after_fill.append(any(a.sl_trigger_px for a in algos) and any(a.tp_trigger_px for a in algos))
    for position in exchange.positions():  # flat at the end, so the journal holds every cent
        close(exchange, position)
    journal_pending_closes(ports)
    review_pending(ports)
    return exchange, outcomes, protected_after_fill


def test_cycles_trade_close_journal_and_learn(run, database: Database) -> None:  # noqa: ANN001
    exchange, outcomes, protected = run
    assert outcomes["filled"] >= 2, outcomes
    assert all(protected), "every filled entry has its stop-loss and take-profit on the venue"
    with database.session() as session:
        cycles = session.scalars(select(DecisionCycle)).all()
        trades = session.scalars(select(Trade)).all()
        per_cycle = Counter(cycle_id for cycle_id in session.scalars(
            select(Order.cycle_id).where(Order.purpose == "entry")))
        reviews = session.scalar(select(func.count()).select_from(ReflectionLog).where(ReflectionLog.kind == "post_trade"))
        deep = session.scalar(select(func.count()).select_from(ReflectionLog).where(ReflectionLog.kind == "deep"))
        versions = session.scalar(select(func.max(PlaybookVersion.version)))
    assert len(cycles) == CYCLES and all(c.finished_at is not None for c in cycles)
    assert all(c.timeline[0]["stage"] == "COLLECTING" for c in cycles)
    filled = [c for c in cycles if c.outcome == "filled"]
    assert {e["stage"] for e in filled[0].timeline} >= {"COLLECTING", "SCREENING", "RESEARCHING", "ANALYZING",
                                                        "RISK_CHECK", "EXECUTING", "CONFIRMING", "JOURNALING"}
    assert max(per_cycle.values()) == 1, "no cycle placed two orders"
    closed = [t for t in trades if t.status == "closed"]
    assert closed and reviews == len(closed)
    assert deep >= 1 and versions >= 2, "a deep reflection produced a new playbook version"
    assert all(t.status == "closed" for t in trades)
    # the journal's PnL (price PnL + fees + funding) is exactly the venue's account change
    realised = sum((t.net_pnl for t in closed), Decimal(0))
    assert exchange.account().equity - Decimal("10000") == realised
    assert {t.close_reason for t in closed} <= {"take_profit", "stop_loss", "manual"}
    assert any(t.close_reason in ("take_profit", "stop_loss") for t in closed), "a protective order closed one"
