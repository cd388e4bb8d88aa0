"""Property: random sequences of orders, cancels, TP/SL, price moves (gaps included) and funding never
create or destroy money, and no open position's margin goes negative without being liquidated."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trading_bot.exchange.sim.accounting import upl
from trading_bot.exchange.sim.engine import Engine
from trading_bot.exchange.sim.instruments import INSTRUMENTS
from trading_bot.exchange.sim.orders import AlgoParams, AttachSpec, OrderParams, Reject

START_CASH = Decimal("10000")
INSTS = ("BTC-USDT-SWAP", "ETH-USDT-SWAP")
BASE = {"BTC-USDT-SWAP": 90000.0, "ETH-USDT-SWAP": 3000.0}

inst = st.sampled_from(INSTS)
side = st.sampled_from(("buy", "sell"))
mode = st.sampled_from(("cross", "isolated"))
size = st.integers(1, 400).map(lambda n: Decimal(n) / 100)
move = st.floats(-0.12, 0.12)  # relative price move; ±12 % gaps reach 10x liquidations
actions = st.one_of(
    st.tuples(st.just("price"), inst, move),
    st.tuples(st.just("market"), inst, side, size, mode, st.booleans()),
    st.tuples(st.just("limit"), inst, side, size, mode, st.floats(-0.03, 0.03)),
    st.tuples(st.just("algo"), inst, side, size, mode, st.floats(0.001, 0.08)),
    st.tuples(st.just("lever"), inst, mode, st.integers(1, 100)),
    st.tuples(st.just("cancel"), st.integers(0, 10)),
    st.tuples(st.just("close"), inst, mode),
    st.tuples(st.just("funding"), inst, st.floats(-0.00375, 0.00375)),
)


def _apply(engine: Engine, action: tuple, clock: list[int]) -> None:  # noqa: C901 - a dispatcher
    kind = action[0]
    clock[0] += 60_000
    now = clock[0]
    if kind == "price":
        _, i, rel = action
        inst_ = INSTRUMENTS[i]
        price = max(inst_.tick, round(engine.quotes.last[i] * (1 + rel) / inst_.tick) * inst_.tick)
        engine.on_price(i, round(price, inst_.price_digits), now)
        return
    engine.quotes.now_ms = now
    if kind == "market":
        _, i, s, sz, m, protect = action
        last = engine.quotes.mark(i)
        attach = []
        if protect:
            up, down = (last * Decimal("1.03")).quantize(Decimal("0.1")), (last * Decimal("0.97")).quantize(Decimal("0.1"))
            attach = [AttachSpec(tp_trigger_px=up if s == "buy" else down, sl_trigger_px=down if s == "buy" else up)]
        engine.place_order(OrderParams(i, m, s, "market", sz, attach=attach))
    elif kind == "limit":
        _, i, s, sz, m, rel = action
        px = (engine.quotes.mark(i) * Decimal(1 + rel)).quantize(INSTRUMENTS[i].tick_sz)
        engine.place_order(OrderParams(i, m, s, "limit", sz, px))
    elif kind == "algo":
        _, i, s, sz, m, dist = action
        last = engine.quotes.mark(i)
        away = (last * Decimal(1 + dist if s == "buy" else 1 - dist)).quantize(INSTRUMENTS[i].tick_sz)
        engine.place_algo(AlgoParams(i, m, s, "conditional", sz, reduce_only=True, sl_trigger_px=away))
    elif kind == "lever":
        engine.set_leverage(action[1], Decimal(action[3]), action[2])
    elif kind == "cancel":
        live = list(engine.orders.live.values())
        if live:
            order = live[action[1] % len(live)]
            engine.cancel_order(order.inst_id, order.ord_id)
    elif kind == "close":
        engine.close_position(action[1], action[2], "", True)
    elif kind == "funding":
        engine.settle_funding(action[1], Decimal(repr(round(action[2], 10))))


def _check(engine: Engine) -> None:
    assert engine.account.cash - START_CASH == sum(engine.account.ledger.values())  # exactly: nothing created or destroyed
    assert engine.account.ledger["pnl"] == sum((f.pnl for f in engine.orders.fills), Decimal(0))
    assert engine.account.ledger["fee"] == sum((f.fee for f in engine.orders.fills), Decimal(0))
    assert engine.account.cash >= 0
    for pos in engine.positions.by_key.values():
        mark = engine.quotes.mark(pos.inst_id)
        if pos.mgn_mode == "isolated":
            assert pos.margin + upl(pos, INSTRUMENTS[pos.inst_id], mark) > 0, "isolated margin went negative"
    figures = engine.account.figures()
    if any(p.mgn_mode == "cross" for p in engine.positions.by_key.values()):
        assert figures.cross_equity > figures.cross_mmr, "cross margin below maintenance without liquidation"


# four times the Hypothesis profile's count (dev 400): the sequences of up to 40 actions need more
@settings(max_examples=4 * settings().max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=1, max_size=40))
def test_money_is_conserved(sequence: list[tuple]) -> None:
    engine = Engine({i: INSTRUMENTS[i] for i in INSTS}, START_CASH, now_ms=0)
    for i in INSTS:
        engine.on_price(i, BASE[i], 0)
    clock = [0]
    for action in sequence:
        try:
            _apply(engine, action, clock)
        except Reject:
            pass  # refused requests change nothing; the checks below prove it
        _check(engine)
