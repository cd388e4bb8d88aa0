"""Sizing helpers, clOrdId derivation and the decision logic of safe order placement.

`place_order_safely` is driven by a scripted venue here (each branch: order already there,
duplicate clOrdId, unknown outcome then found, unknown then absent, never resolved); the same
function runs against the real simulator in tests/integration/okx/test_adapter_on_sim.py."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.domain.market import Instrument
from trading_bot.domain.orders import Order, OrderAck, OrderRequest
from trading_bot.exchange import errors
from trading_bot.exchange.instruments import InstrumentCache, contracts_for_equity_pct, contracts_for_notional, fmt
from trading_bot.exchange.orders import LookupPolicy, cl_ord_id_for, place_order_safely

D = Decimal
BTC = Instrument(inst_id="BTC-USDT-SWAP", ct_val=D("0.01"), ct_val_ccy="BTC", settle_ccy="USDT", lot_sz=D("0.01"),
                 min_sz=D("0.01"), tick_sz=D("0.1"), max_leverage=100)
T = datetime(2026, 1, 5, tzinfo=UTC)


def test_notional_and_equity_sizing_round_down_to_the_lot() -> None:
    # 500 USDT at 91,488.8: 500 / (0.01 × 91,488.8) = 0.5465… contracts → 0.54
    assert contracts_for_notional(BTC, D("500"), D("91488.8")) == D("0.54")
    assert BTC.notional(D("0.54"), D("91488.8")) <= D("500")
    # 2 % of 10,000 at 3× = 600 USDT of notional
    assert contracts_for_equity_pct(BTC, D("10000"), D("2"), D("100000"), D(3)) == D("0.6")
    assert contracts_for_notional(BTC, D("5"), D("100000")) == 0  # 0.005 contracts < minSz
    whole = BTC.model_copy(update={"lot_sz": D(1), "min_sz": D(1)})  # the pre-2024 contract size
    assert contracts_for_notional(whole, D("2999"), D("100000")) == D(2)
    with pytest.raises(ValueError):
        contracts_for_equity_pct(BTC, D("10000"), D("-1"), D("100000"))


def test_prices_and_sizes_are_sent_as_plain_decimals() -> None:
    assert BTC.round_price(D("91488.84")) == D("91488.8") and BTC.round_price(D("91488.85")) == D("91488.9")
    assert [fmt(v) for v in (D("0.50"), D("1E+2"), D("91488.80"), D("0.00000001"))] == ["0.5", "100", "91488.8", "0.00000001"]


def test_instrument_cache_loads_each_instrument_once() -> None:
    loads: list[str] = []
    cache = InstrumentCache(lambda inst: loads.append(inst) or BTC.model_copy(update={"inst_id": inst}))
    cache.preload(["BTC-USDT-SWAP", "ETH-USDT-SWAP"])
    assert cache.get("ETH-USDT-SWAP").inst_id == "ETH-USDT-SWAP" and loads == ["BTC-USDT-SWAP", "ETH-USDT-SWAP"]


def test_cl_ord_id_is_deterministic_alphanumeric_and_short() -> None:
    assert cl_ord_id_for("cycle42") == "ecycle42"
    long_id = "2026-01-05T00:05:00Z-BTC-USDT-SWAP-beat"
    derived = cl_ord_id_for(long_id)
    assert derived == cl_ord_id_for(long_id) and len(derived) == 32 and derived.isalnum() and derived[0] == "e"
    assert cl_ord_id_for(long_id, "c") != derived
    with pytest.raises(ValueError):
        cl_ord_id_for("x", "entry")


class ScriptedVenue:
    """Answers get_order/place_order from scripts; records what was sent."""

    def __init__(self, lookups: list[Order | None], placements: list[OrderAck | errors.ExchangeError]) -> None:
        self.lookups, self.placements, self.sent = list(lookups), list(placements), 0

    def get_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> Order | None:
        return self.lookups.pop(0) if self.lookups else None

    def place_order(self, request: OrderRequest) -> OrderAck:
        self.sent += 1
        outcome = self.placements.pop(0)
        if isinstance(outcome, errors.ExchangeError):
            raise outcome
        return outcome


REQUEST = OrderRequest(inst_id="BTC-USDT-SWAP", side="buy", ord_type="market", size=D("0.1"), cl_ord_id="ecyc1")
FOUND = Order(ord_id="77", cl_ord_id="ecyc1", inst_id="BTC-USDT-SWAP", side="buy", pos_side="net", ord_type="market",
              state="filled", size=D("0.1"), price=None, avg_px=D("1"), filled=D("0.1"), fee=D(0), pnl=D(0),
              created_at=T, updated_at=T)
FAST = LookupPolicy(attempts=3, delay_seconds=0, sleep=lambda _: None)
TIMEOUT = errors.OutcomeUnknown("timeout", "ReadTimeout")


@pytest.mark.parametrize(("lookups", "placements", "sent", "ord_id"), [
    ([FOUND], [], 0, "77"),  # a redelivered task finds its own order: nothing is sent
    ([None], [OrderAck(ord_id="88", cl_ord_id="ecyc1")], 1, "88"),  # the normal case
    ([None, None, FOUND], [TIMEOUT], 1, "77"),  # timed out but placed: found by polling, not resent
    ([None, FOUND], [errors.DuplicateOrder("51016", "Client order ID already exists.")], 1, "77"),
    ([None, None, None, None], [TIMEOUT, OrderAck(ord_id="99", cl_ord_id="ecyc1")], 2, "99"),  # really lost
])
def test_safe_placement(lookups: list, placements: list, sent: int, ord_id: str) -> None:
    venue = ScriptedVenue(lookups, placements)
    assert place_order_safely(venue, REQUEST, FAST).ord_id == ord_id  # type: ignore[arg-type]
    assert venue.sent == sent


def test_safe_placement_gives_up_unresolved_after_two_sends() -> None:
    venue = ScriptedVenue([None] * 10, [TIMEOUT, TIMEOUT, OrderAck(ord_id="never", cl_ord_id="ecyc1")])
    with pytest.raises(errors.OutcomeUnknown, match="could not be confirmed"):
        place_order_safely(venue, REQUEST, FAST)  # type: ignore[arg-type]
    assert venue.sent == 2


def test_rejections_are_not_retried() -> None:
    venue = ScriptedVenue([None], [errors.InsufficientMargin("51008", "Insufficient USDT margin")])
    with pytest.raises(errors.InsufficientMargin):
        place_order_safely(venue, REQUEST, FAST)  # type: ignore[arg-type]
    assert venue.sent == 1
