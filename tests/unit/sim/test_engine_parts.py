"""The engine's parts on their own: each owns its records, none calls back into the engine (the
engine fires triggers and refreshes its bounds after every command), and a state restored through
them answers like the one that was saved."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.kit.sim import flat_bars, write_candles
from tests.kit.sim_engine import BTC, engine_at
from trading_bot.exchange.sim import persistence
from trading_bot.exchange.sim.market import SimMarket
from trading_bot.exchange.sim.orders import AlgoParams, AttachSpec, OrderParams, Reject
from trading_bot.exchange.sim.venue import Venue

D = Decimal


def test_parts_leave_the_bounds_to_the_engine() -> None:
    engine = engine_at()
    resting = engine.matching.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(89000)))
    assert resting.state == "live" and engine.lo[BTC] == float("-inf")  # the part changed records only
    engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(88000)))
    assert engine.lo[BTC] == 89000.0  # the command refreshed the bounds from every resting order


def test_a_name_from_before_the_parts_cannot_be_set_silently() -> None:
    engine = engine_at()
    with pytest.raises(AttributeError):
        setattr(engine, "closed_log", [])  # noqa: B010 - the point: a stale caller's plain assignment (now positions.closed_log)


def test_events_are_copies_and_nothing_is_kept_when_recording_is_off() -> None:
    engine = engine_at()
    order = engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(89000)))
    engine.cancel_order(BTC, order.ord_id)
    kinds = [(kind, getattr(item, "state", None)) for kind, item in engine.events.drain()]
    assert kinds == [("order", "live"), ("order", "canceled"), ("account", None)]  # as they were then
    engine.events.record = False
    engine.place_order(OrderParams(BTC, "cross", "buy", "market", D(1)))
    assert engine.events.drain() == []


def test_the_order_store_answers_for_the_newest_order_of_a_client_id() -> None:
    engine = engine_at()
    first = engine.place_order(OrderParams(BTC, "cross", "buy", "market", D(1), cl_ord_id="same"))
    second = engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(89000), cl_ord_id="same"))
    store = engine.orders
    assert store.find(cl_ord_id="same") is second and store.find(first.ord_id) is first
    assert store.live_by_cl_ord_id("same") is second
    with pytest.raises(Reject) as taken:  # a live order holds its clOrdId
        engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(88000), cl_ord_id="same"))
    assert taken.value.code == "51016"


def test_attached_tp_sl_go_live_with_the_fill_and_leave_with_the_position() -> None:
    engine = engine_at()
    engine.place_order(OrderParams(BTC, "isolated", "buy", "market", D(1),
                                   attach=[AttachSpec(tp_trigger_px=D(95000), sl_trigger_px=D(85000))]))
    (algo,) = engine.algos.live(BTC)
    assert (algo.ord_type, algo.side, algo.sz, algo.reduce_only) == ("oco", "sell", D(1), True)
    assert (engine.lo[BTC], engine.hi[BTC]) == (85000.0, 95000.0)  # above the isolated liquidation price
    engine.close_position(BTC, "isolated", "", True)
    assert algo.state == "canceled" and not engine.algos.live() and not engine.positions.by_key
    assert engine.algos.find(algo.algo_id) is algo


def test_positions_say_what_an_order_can_close() -> None:
    engine = engine_at()
    engine.place_order(OrderParams(BTC, "cross", "buy", "market", D(2)))
    positions = engine.positions
    assert positions.closing_qty("sell", BTC, "cross", "net") == D(2)
    assert positions.closing_qty("buy", BTC, "cross", "net") == D(0)
    assert positions.opening_qty("sell", D(5), BTC, "cross", "net") == D(3)  # 2 close, 3 open short
    assert positions.held(BTC, "isolated", "net") is None


@pytest.mark.parametrize(("lever", "code"), [("2.5", None), ("2.555", "51000"), ("0.5", "51000"), ("101", "59102")])
def test_leverage_checks(lever: str, code: str | None) -> None:
    engine = engine_at()
    if code is None:
        assert engine.set_leverage(BTC, D(lever), "cross")[0]["lever"] == lever
        assert engine.settings.lever_for(BTC, "cross", "net") == D(lever)
        return
    with pytest.raises(Reject) as refused:
        engine.set_leverage(BTC, D(lever), "cross")
    assert refused.value.code == code


def test_a_restored_state_answers_like_the_saved_one(tmp_path: Path) -> None:
    bars = flat_bars(90000.0, 120)
    market = SimMarket.from_files([str(write_candles(tmp_path / "p.json", bars, "2026-01-05T00:00:00Z"))])
    start = market.default_start()
    venue = Venue.create(market, D(10000), start)
    engine = venue.engine
    engine.set_leverage(BTC, D(5), "isolated")
    engine.place_order(OrderParams(BTC, "isolated", "buy", "market", D(2), cl_ord_id="entry",
                                   attach=[AttachSpec(sl_trigger_px=D(80000))]))
    engine.place_order(OrderParams(BTC, "isolated", "sell", "limit", D(1), D(91000), reduce_only=True,
                                   cl_ord_id="tp1"))
    engine.place_algo(AlgoParams(BTC, "isolated", "buy", "trigger", D(1), trigger_px=D(92000), order_px=D(-1)))
    path = tmp_path / "state.json"
    persistence.save(venue, path)

    again = Venue.create(market, D(1), start)
    persistence.load(again, path)
    other = again.engine
    assert other.account.cash == engine.account.cash and other.account.ledger == engine.account.ledger
    assert other.settings.lever_for(BTC, "isolated", "net") == D(5)
    assert list(other.positions.by_key) == list(engine.positions.by_key)
    resting = other.orders.find(cl_ord_id="tp1")
    assert resting is not None and resting.state == "live" and other.orders.live_by_cl_ord_id("tp1") is resting
    assert [a.algo_id for a in other.algos.live()] == [a.algo_id for a in engine.algos.live()]
    assert (other.lo, other.hi) == (engine.lo, engine.hi)
    assert other.account.figures() == engine.account.figures()
    assert other.ids.next("order") == engine.ids.next("order")
