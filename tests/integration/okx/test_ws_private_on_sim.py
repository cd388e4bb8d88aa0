"""`trading-bot ws-private` as a real process against the simulator: a fill reaches PostgreSQL and
`trade:fills` exactly once (also across a dropped connection and its REST catch-up), and a
take-profit hit yields exactly one `position_closed` whose PnL, fees and funding are the
simulator's own (its closed-position record and the change of its account's cash) — whether the
close is pushed or learnt from the catch-up after a reconnect."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import select

from tests.integration.okx.conftest import adapter_for
from tests.kit.sim import flat_bars, running_sim, write_candles
from tests.kit.sim_roles import connected, count, role, sim_env
from tests.kit.waiting import wait_until
from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange.orders import cl_ord_id_for, enter
from trading_bot.storage.db import Database
from trading_bot.storage.models import FillRow, PositionHistory
from trading_bot.storage.models import Order as OrderRow
from trading_bot.storage.streams import TRADE_FILLS, TRADE_POSITIONS, Keys

BTC = "BTC-USDT-SWAP"
DATA_START = "2026-01-05T07:00:00Z"
SIM_START = "2026-01-05T07:55:00Z"  # the 08:00 funding settlement falls inside the trade

pytestmark = pytest.mark.slow


def scripted_market(tmp_path: Path) -> Path:
    """07:00–08:09 quiet around 90,000; 08:10–08:19 a climb to 91,000; then quiet there."""
    climb = [(90000 + 100 * i, 90000 + 100 * (i + 1) + 5, 90000 + 100 * i - 5, 90000 + 100 * (i + 1))
             for i in range(10)]
    return write_candles(tmp_path / "scripted.json", flat_bars(90000, 70) + climb + flat_bars(91000, 60),
                         DATA_START)


def events(client: redis.Redis, keys: Keys, stream: str) -> list[tuple[str, dict[str, Any]]]:
    return [(fields["type"], json.loads(fields["data"])) for _, fields in client.xrange(keys.stream(stream))]


def funding_known(client: redis.Redis, keys: Keys) -> bool:
    """ws-private's held position (Redis) shows the funding settled on it."""
    raw = client.get(keys.positions())
    return any(Decimal(p["funding_fee"]) != 0 for p in json.loads(raw or "[]"))


@pytest.mark.parametrize("tp_while_disconnected", [False, True], ids=["pushed", "caught-up"])
def test_fills_once_and_one_position_closed_with_the_simulators_numbers(
        tp_while_disconnected: bool, tmp_path: Path, db_url: str, redis_url: str, namespace: str,
        database: Database, redis_client: redis.Redis, keys: Keys) -> None:
    fills_of = lambda: [e for t, e in events(redis_client, keys, TRADE_FILLS) if t == "FillEvent"]  # noqa: E731
    closes_of = lambda: [e for t, e in events(redis_client, keys, TRADE_POSITIONS) if t == "PositionClosed"]  # noqa: E731

    with running_sim(data=[scripted_market(tmp_path)], start=SIM_START) as sim:
        sim.call(lambda s: setattr(s.venue.engine.positions, "closed_log", []))
        cash_before = Decimal(sim.venue_state()["cash"])
        venue = adapter_for(sim)
        with role("ws-private", sim_env(sim, tmp_path, db_url, redis_url, namespace)) as proc:
            proc.wait_for(connected("private"), timeout=40)
            proc.wait_for(lambda out: count("private_caught_up")(out) >= 1, timeout=20)

            entry = OrderRequest(inst_id=BTC, side="buy", ord_type="market", size=Decimal(2), td_mode="isolated",
                                 cl_ord_id=cl_ord_id_for("wsprivate1"), sl_trigger_px=Decimal(88000),
                                 tp_trigger_px=Decimal(90500))
            ack = enter(venue, entry, Decimal(3))
            wait_until(lambda: len(fills_of()) >= 1, 15, "the entry fill on trade:fills")

            # A dropped connection: the REST catch-up re-reads the same fill; it must not count twice.
            assert sim.drop_websockets() >= 1
            proc.wait_for(lambda out: count("private_caught_up")(out) >= 2, timeout=20)

            if tp_while_disconnected:  # the close is learnt from the REST catch-up, not from pushes
                sim.advance(minutes=10)  # the 08:00 funding, while we listen
                wait_until(lambda: funding_known(redis_client, keys), 15, "the 08:00 funding in the held position")
                assert sim.drop_websockets() >= 1
                sim.advance(minutes=20)  # the take-profit fires before ws-private is back
                proc.wait_for(lambda out: count("private_caught_up")(out) >= 3, timeout=20)
            else:
                sim.advance(minutes=30)  # through the 08:00 funding and the climb to the take-profit
            wait_until(lambda: len(closes_of()) >= 1, 15, "position_closed on trade:positions")
            time.sleep(2)  # anything that would duplicate it has had time to arrive
            state = sim.venue_state()
            assert state["positions"] == 0
        venue.close()
        closed_log = sim.call(lambda s: list(s.venue.engine.positions.closed_log or []))
        sim_fills = sim.call(lambda s: list(s.venue.engine.orders.fills))

    cash_change = Decimal(state["cash"]) - cash_before
    assert len(closed_log) == 1 and closed_log[0].reason == "take_profit"
    record = closed_log[0]

    # fills: exactly once in PostgreSQL and on the stream, as the simulator made them
    assert len(sim_fills) == 2
    stream_fills = fills_of()
    assert sorted(f["fill"]["trade_id"] for f in stream_fills) == sorted(f.trade_id for f in sim_fills)
    with database.session() as session:
        rows = session.scalars(select(FillRow)).all()
        assert sorted(r.exchange_trade_id for r in rows) == sorted(f.trade_id for f in sim_fills)
        for row in rows:
            made = next(f for f in sim_fills if f.trade_id == row.exchange_trade_id)
            assert (row.price, row.size, row.fee) == (made.px, made.sz, made.fee)
        orders = {o.ord_id: o for o in session.scalars(select(OrderRow)).all()}
        assert orders[ack.ord_id].state == "filled" and orders[ack.ord_id].cl_ord_id == entry.cl_ord_id
        history = session.scalars(select(PositionHistory)).all()
        assert len(history) == 1

    # one position_closed, with the simulator's PnL, fees and funding
    closes = closes_of()
    assert len(closes) == 1, closes
    closed = closes[0]
    assert closed["side"] == "long" and Decimal(closed["size"]) == Decimal(2)
    assert Decimal(closed["realized_pnl"]) == record.pnl
    assert Decimal(closed["fees"]) == record.fee
    assert Decimal(closed["funding"]) == record.funding
    assert record.funding != 0, "the trade should have paid or earned the 08:00 funding"
    assert Decimal(closed["realized_pnl"]) + Decimal(closed["fees"]) + Decimal(closed["funding"]) == cash_change
    assert closed["close_reason"] == "take_profit"
    assert (history[0].realized_pnl, history[0].fees, history[0].funding) == (record.pnl, record.fee, record.funding)
