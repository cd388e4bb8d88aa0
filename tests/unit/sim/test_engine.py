"""The matching engine on its own: fills, fees, margin, liquidation, funding, modes, order types."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.kit.sim_engine import BTC, engine_at
from trading_bot.exchange.sim.engine import Engine
from trading_bot.exchange.sim.instruments import INSTRUMENTS
from trading_bot.exchange.sim.orders import AlgoParams, OrderParams, Reject

D = Decimal


def buy(engine: Engine, sz: str = "1", mode: str = "isolated", **kw: object) -> object:
    return engine.place_order(OrderParams(BTC, mode, "buy", "market", D(sz), **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(("price", "penalty"), [(81300.0, D("-2.5926")), (81000.0, D("0.4059"))])
def test_isolated_liquidation_loses_exactly_the_margin(price: float, penalty: Decimal) -> None:
    engine = engine_at()
    engine.set_leverage(BTC, D(10), "isolated")
    buy(engine)  # 90000.1, margin 90.0001, liquidation where 90.0001 + (p − 90000.1)·0.01 = 0.004·0.01·p
    assert engine.lo[BTC] == pytest.approx(81325.3916, abs=1e-3)
    engine.on_price(BTC, 81400.0, 2_000)
    assert engine.positions.by_key  # above the liquidation price: still open
    engine.on_price(BTC, price, 3_000)
    assert not engine.positions.by_key
    assert engine.account.ledger["liquidation"] == penalty  # positive = a gap past bankruptcy, covered
    assert engine.account.cash == D(10000) - D("0.4500005") - D("90.0001")
    liquidation = next(o for o in engine.orders.by_id.values() if o.category == "full_liquidation")
    assert liquidation.avg_px == D(str(price)) and liquidation.state == "filled"


def test_cross_liquidation_when_equity_meets_maintenance() -> None:
    engine = engine_at()
    engine.set_leverage(BTC, D(100), "cross")
    buy(engine, "100", "cross")  # 90 000 USDT of BTC on 10 000 USDT
    assert engine.lo[BTC] == pytest.approx(90000.1 - 9950 / 0.996 / 1, rel=0.01)
    engine.on_price(BTC, 80000.0, 2_000)
    assert not engine.positions.by_key and engine.account.cash >= 0
    assert engine.account.cash - D(10000) == sum(engine.account.ledger.values())


def test_funding_longs_pay_when_the_rate_is_positive() -> None:
    engine = engine_at()
    buy(engine, "2", "cross")
    engine.on_price(BTC, 90000.0, 2_000)
    paid = engine.settle_funding(BTC, D("0.0001"))
    assert paid == D("-0.18")  # 0.0001 × 2 × 0.01 × 90000
    assert engine.account.ledger["funding"] == D("-0.18")
    assert engine.positions.by_key[(BTC, "cross", "net")].funding_fee == D("-0.18")


def test_resting_limit_fills_as_maker_at_its_price_even_through_a_gap() -> None:
    engine = engine_at()
    order = engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(89000)))
    assert order.state == "live" and order.frozen == D("296.6666666666666666666666667")  # 890 / 3x
    engine.on_price(BTC, 88000.0, 2_000)
    assert order.state == "filled" and order.avg_px == D(89000) and order.fee == D("-0.178")  # 0.02 % maker
    assert order.exec_type == "M"


def test_post_only_crossing_is_cancelled_and_ioc_fok_leave_nothing_resting() -> None:
    engine = engine_at()
    post = engine.place_order(OrderParams(BTC, "cross", "buy", "post_only", D(1), D("90000.1")))
    assert (post.state, post.cancel_source, post.acc_fill_sz) == ("canceled", "31", D(0))
    ioc = engine.place_order(OrderParams(BTC, "cross", "buy", "ioc", D(1), D(89000)))
    assert ioc.state == "canceled" and not engine.orders.live
    fok = engine.place_order(OrderParams(BTC, "cross", "buy", "fok", D(1), D("90000.1")))
    assert fok.state == "filled"


def test_large_market_orders_walk_the_book() -> None:
    engine = engine_at()
    engine.set_leverage(BTC, D(100), "cross")
    small, large = buy(engine, "1", "cross"), buy(engine, "1000", "cross")
    assert small.avg_px == D("90000.1")  # type: ignore[attr-defined]
    assert large.avg_px > D("90010")  # type: ignore[attr-defined]
    assert len([f for f in engine.orders.fills if f.ord_id == large.ord_id]) > 3  # type: ignore[attr-defined]


def test_long_short_mode_needs_pos_side_and_keeps_two_positions() -> None:
    engine = engine_at()
    engine.set_position_mode("long_short_mode")
    with pytest.raises(Reject) as missing:
        buy(engine, "1", "cross")
    assert missing.value.code == "51000"
    buy(engine, "1", "cross", pos_side="long")
    engine.place_order(OrderParams(BTC, "cross", "sell", "market", D(2), pos_side="short"))
    assert {k[2]: p.qty for k, p in engine.positions.by_key.items()} == {"long": D(1), "short": D(-2)}
    with pytest.raises(Reject) as too_much:
        engine.place_order(OrderParams(BTC, "cross", "sell", "market", D(2), pos_side="long"))
    assert too_much.value.code == "51112"


def test_net_mode_flips_through_zero() -> None:
    engine = engine_at()
    buy(engine, "1", "cross")
    engine.place_order(OrderParams(BTC, "cross", "sell", "market", D(3)))
    assert engine.positions.by_key[(BTC, "cross", "net")].qty == D(-2)
    assert engine.account.cash - D(10000) == sum(engine.account.ledger.values())


def test_amend_and_trigger_orders() -> None:
    engine = engine_at()
    order = engine.place_order(OrderParams(BTC, "cross", "buy", "limit", D(1), D(88000), cl_ord_id="a1"))
    engine.amend_order(BTC, "", "a1", D(2), D(88500))
    assert (order.sz, order.px, order.state) == (D(2), D(88500), "live")
    algo = engine.place_algo(AlgoParams(BTC, "cross", "buy", "trigger", D(1), trigger_px=D(91000), order_px=D(-1)))
    assert algo.trigger_up
    engine.on_price(BTC, 91000.0, 2_000)
    assert algo.state == "effective" and engine.orders.by_id[algo.ord_id].state == "filled"


def test_cross_positions_in_two_instruments_share_one_account() -> None:
    from trading_bot.exchange.sim.market import InstrumentData, SimMarket
    from trading_bot.exchange.sim.series import Bars
    from trading_bot.exchange.sim.venue import Venue

    minute = 60_000
    ts = [i * minute for i in range(10)]
    falling = {"BTC-USDT-SWAP": [90000.0] * 5 + [76500.0] * 5, "ETH-USDT-SWAP": [3000.0] * 5 + [2550.0] * 5}
    data = {i: InstrumentData(INSTRUMENTS[i], Bars.from_columns(ts, minute, p, p, p, p, [1.0] * 10))
            for i, p in falling.items()}
    venue = Venue.create(SimMarket(data), D(10000), start_ms=0)
    engine = venue.engine
    for inst_id in falling:
        engine.set_leverage(inst_id, D(50), "cross")
    engine.place_order(OrderParams(BTC, "cross", "buy", "market", D(40)))  # 36 000 USDT
    engine.place_order(OrderParams("ETH-USDT-SWAP", "cross", "buy", "market", D(120)))  # 12 ETH = 36 000
    # each falls 15 %: either alone would cost 5 400 USDT (no liquidation), both together 10 800
    venue.advance_to(9 * minute)
    assert not engine.positions.by_key and engine.account.cash >= 0
    assert engine.account.cash - D(10000) == sum(engine.account.ledger.values())
