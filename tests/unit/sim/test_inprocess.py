"""The in-process Exchange: the protocol over the engine with market time moved by the caller."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.kit.sim import flat_bars, write_candles
from trading_bot.clock import parse_iso
from trading_bot.domain.orders import AlgoRequest, OrderRequest
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.errors import InsufficientMargin, InvalidSize, NotFound
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.market import SimMarket
from trading_bot.exchange.sim.venue import Venue

INST = "BTC-USDT-SWAP"
START = parse_iso("2026-01-05T06:00:00Z")


@pytest.fixture
def exchange(tmp_path: Path) -> InProcessExchange:
    bars = flat_bars(90000.0, 360) + [(90000.0, 90100.0, 89950.0, 90050.0), (90050.0, 91000.0, 90040.0, 90950.0),
                                      (90950.0, 91010.0, 90900.0, 91000.0)] + flat_bars(91000.0, 30)
    market = SimMarket.from_files([str(write_candles(tmp_path / "p.json", bars, "2026-01-05T00:00:00Z"))])
    return InProcessExchange(Venue.create(market, Decimal("10000"), int(START.timestamp() * 1000)))


def test_it_is_an_exchange_and_follows_the_callers_clock(exchange: InProcessExchange) -> None:
    assert isinstance(exchange, Exchange)
    assert exchange.server_time() == START == exchange.clock.now()
    assert exchange.instrument(INST).lot_sz == Decimal("0.01")
    candles = exchange.candles(INST, "1H", limit=3)
    assert [c.ts for c in candles] == [START - timedelta(hours=2), START - timedelta(hours=1), START]
    assert [c.confirmed for c in candles] == [True, True, False]
    exchange.advance_to(START + timedelta(minutes=6))  # the open of the fourth quiet bar after the rally
    assert exchange.server_time() == START + timedelta(minutes=6)
    assert exchange.ticker(INST).last == Decimal("91000")


def test_order_with_tp_sl_then_tp_fires(exchange: InProcessExchange) -> None:
    exchange.set_leverage(INST, Decimal(10), "isolated")
    ack = exchange.place_order(OrderRequest(inst_id=INST, side="buy", ord_type="market", size=Decimal(1),
                                            cl_ord_id="c1", sl_trigger_px=Decimal(89100), tp_trigger_px=Decimal(90900)))
    order = exchange.get_order(INST, cl_ord_id="c1")
    assert order is not None and order.ord_id == ack.ord_id and order.avg_px == Decimal("90000.1")
    [position] = exchange.positions(INST)
    assert (position.side, position.size, position.margin) == ("long", Decimal(1), Decimal("90000.1") / 1000)
    assert [a.ord_type for a in exchange.pending_algo_orders(INST)] == ["oco"]
    exchange.advance_to(START + timedelta(minutes=2))
    assert exchange.positions(INST) == [] and exchange.pending_algo_orders(INST) == []
    assert exchange.account().equity == Decimal("10009.0939995")
    assert [f.pnl for f in exchange.fills(INST)] == [Decimal("9.999"), Decimal(0)]


def test_errors_are_typed(exchange: InProcessExchange) -> None:
    def order(size: str) -> OrderRequest:
        return OrderRequest(inst_id=INST, side="buy", ord_type="market", size=Decimal(size), cl_ord_id="x1")

    with pytest.raises(InsufficientMargin):
        exchange.place_order(order("1000"))
    with pytest.raises(InvalidSize):
        exchange.place_order(order("0.015"))
    with pytest.raises(NotFound):
        exchange.cancel_order(INST, ord_id="42")
    with pytest.raises(NotFound):
        exchange.close_position(INST, "net", "isolated")
    assert exchange.get_order(INST, ord_id="42") is None


def test_stand_alone_stop_closes_the_whole_position(exchange: InProcessExchange) -> None:
    exchange.place_order(OrderRequest(inst_id=INST, side="sell", ord_type="market", size=Decimal(2), cl_ord_id="s1"))
    algo_id = exchange.place_algo_order(AlgoRequest(inst_id=INST, side="buy", sl_trigger_px=Decimal(90500)))
    assert exchange.pending_algo_orders(INST)[0].algo_id == algo_id
    exchange.advance_to(START + timedelta(minutes=2))  # rallies through 90500: the short is stopped out
    assert exchange.positions(INST) == []
    exchange.place_order(OrderRequest(inst_id=INST, side="sell", ord_type="limit", size=Decimal(1),
                                      price=Decimal(92000), cl_ord_id="l1"))
    assert [o.cl_ord_id for o in exchange.pending_orders(INST)] == ["l1"]
    exchange.cancel_order(INST, cl_ord_id="l1")
    assert exchange.pending_orders(INST) == []
