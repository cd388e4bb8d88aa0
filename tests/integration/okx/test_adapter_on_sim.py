"""OkxRest on the real simulator over HTTP: market data, an entry with attached SL/TP, the
protective orders, a take-profit close, and a timed-out order that must not be placed twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange import errors
from trading_bot.exchange.instruments import contracts_for_notional
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.orders import LookupPolicy, cl_ord_id_for, enter, place_order_safely

pytestmark = pytest.mark.shared
D = Decimal
INST = "BTC-USDT-SWAP"


def test_market_data_and_account(adapter: OkxRest) -> None:
    btc = adapter.instrument(INST)
    assert (btc.lot_sz, btc.min_sz, btc.tick_sz, btc.ct_val, btc.max_leverage) == (D("0.01"), D("0.01"), D("0.1"), D("0.01"), 100)
    ticker = adapter.ticker(INST)
    book = adapter.order_book(INST, 5)
    assert book.best_bid is not None and book.best_ask is not None and book.best_bid < book.best_ask
    assert len(book.bids) == 5 and ticker.last > 0
    bars = adapter.candles(INST, "4H", limit=200)
    assert len(bars) == 200 and all(b.ts < a.ts for b, a in zip(bars, bars[1:], strict=False))
    assert adapter.funding_rate(INST).rate is not None and adapter.open_interest(INST).oi >= 0
    account = adapter.account()
    assert account.equity == D("10000") and account.available == D("10000")
    assert adapter.positions() == [] and adapter.pending_orders() == []


def test_entry_with_attached_sl_tp_then_take_profit(sim, adapter: OkxRest) -> None:  # noqa: ANN001
    price = adapter.ticker(INST).last
    btc = adapter.instrument(INST)
    size = contracts_for_notional(btc, D("500"), price)
    request = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=size, td_mode="isolated",
                           cl_ord_id=cl_ord_id_for("cycle1"), sl_trigger_px=btc.round_price(price * D("0.9")),
                           tp_trigger_px=btc.round_price(price * D("1.001")))
    ack = enter(adapter, request, D(3))
    order = adapter.get_order(INST, cl_ord_id=request.cl_ord_id)
    assert order is not None and order.ord_id == ack.ord_id and order.state == "filled"
    [position] = adapter.positions(INST)
    assert (position.side, position.size, position.leverage) == ("long", size, D(3))
    algos = adapter.pending_algo_orders(INST)
    assert [(a.sl_trigger_px, a.tp_trigger_px) for a in algos] == [(request.sl_trigger_px, request.tp_trigger_px)]
    for _ in range(240):
        sim.advance(minutes=1)
        if not adapter.positions(INST):
            break
    assert adapter.positions(INST) == []
    assert adapter.pending_algo_orders(INST) == []
    closing = [f for f in adapter.fills(INST) if f.side == "sell"]
    assert closing and sum(f.pnl for f in closing) > 0


def test_rejections_are_typed(adapter: OkxRest) -> None:
    too_big = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("5000"), cl_ord_id="big1")
    with pytest.raises(errors.InsufficientMargin):
        adapter.place_order(too_big)
    with pytest.raises(errors.InvalidSize):
        adapter.place_order(too_big.model_copy(update={"size": D("0.015"), "cl_ord_id": "odd1"}))
    assert adapter.get_order(INST, cl_ord_id="never1") is None
    with pytest.raises(errors.NotFound):
        adapter.cancel_order(INST, cl_ord_id="never1")


def test_order_answered_with_a_timeout_although_placed_is_not_placed_twice(sim, adapter: OkxRest) -> None:  # noqa: ANN001
    sim.set_faults(timeout_next_orders=1)
    request = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("0.05"), cl_ord_id="cyc99")
    with pytest.raises(errors.OutcomeUnknown):
        adapter.place_order(request)  # the raw adapter reports the ambiguity …
    ack = place_order_safely(adapter, request, LookupPolicy(delay_seconds=0.05))  # … the safe path resolves it
    assert ack.cl_ord_id == "cyc99"
    [position] = adapter.positions(INST)
    assert position.size == D("0.05")  # one order, not two
    sim.set_faults(timeout_next_orders=1)
    second = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("0.05"), cl_ord_id="cyc100")
    place_order_safely(adapter, second, LookupPolicy(delay_seconds=0.05))
    assert adapter.positions(INST)[0].size == D("0.10")
    assert len([f for f in adapter.fills(INST) if f.cl_ord_id == "cyc100"]) == 1
