"""Order placement over real HTTP against the simulator: an order the venue executed but whose
answer never reached us (our timeout, or OKX's 50004) is found by its clOrdId, never sent twice."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.okx.conftest import adapter_for
from tests.kit.sim import running_sim
from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange.orders import LookupPolicy, cl_ord_id_for, enter, place_order_safely

BTC = "BTC-USDT-SWAP"
CLIENT_TIMEOUT = 1.0
POLICY = LookupPolicy(attempts=5, delay_seconds=0.3)


@pytest.mark.parametrize("fault", [{"delay_orders_ms": 2500}, {"timeout_next_orders": 1}],
                         ids=["answer-later-than-our-timeout", "okx-50004"])
def test_an_order_whose_answer_is_lost_is_placed_exactly_once(fault: dict[str, Any]) -> None:
    with running_sim(seed=7) as sim:
        venue = adapter_for(sim, timeout=CLIENT_TIMEOUT)
        price = venue.ticker(BTC).last
        request = OrderRequest(
            inst_id=BTC, side="buy", ord_type="market", size=Decimal(1), td_mode="isolated",
            cl_ord_id=cl_ord_id_for("cycle-2026-01-05T00:15-btc"),
            sl_trigger_px=(price * Decimal("0.97")).quantize(Decimal("0.1")),
            tp_trigger_px=(price * Decimal("1.05")).quantize(Decimal("0.1")),
        )
        sim.set_faults(**fault)
        started = time.monotonic()
        ack = enter(venue, request, Decimal(3), POLICY)
        took = time.monotonic() - started
        sim.set_faults(delay_orders_ms=0, timeout_next_orders=0)
        if "delay_orders_ms" in fault:
            assert took >= CLIENT_TIMEOUT  # the client really gave up on the first answer

        def orders_with_our_id() -> list[Any]:
            return sim.call(lambda s: [o for o in s.venue.engine.orders.by_id.values() if o.cl_ord_id == request.cl_ord_id])

        placed = orders_with_our_id()
        assert [o.ord_id for o in placed] == [ack.ord_id] and placed[0].state == "filled"
        assert [(p.side, p.size) for p in venue.positions()] == [("long", Decimal(1))]
        assert len(venue.pending_algo_orders(BTC)) == 1  # one attached SL/TP, not two

        # The same decision again (a redelivered Celery task): found, nothing sent.
        assert place_order_safely(venue, request, POLICY).ord_id == ack.ord_id
        assert len(orders_with_our_id()) == 1
        assert [(p.side, p.size) for p in venue.positions()] == [("long", Decimal(1))]
        venue.close()
