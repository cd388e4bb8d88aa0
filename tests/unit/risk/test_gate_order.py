"""Gate rules about the order itself, each just inside, just outside and exactly at its limit.
Defaults: equity 10,000 USDT, mark = last = 50,000, ctVal 0.01, lotSz/minSz 0.01, tickSz 0.1."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.kit import risk as kit
from trading_bot.risk import order_rules
from trading_bot.risk.limits import HARD_LIMITS
from trading_bot.risk.verdict import Rule, SizedOrder

D = Decimal


@pytest.mark.parametrize("leverage, approved", [("1", True), ("3", True), ("3.0001", False), ("0.99", False),
                                                ("100", False), ("0", False)])
def test_leverage_between_one_and_three_inclusive(gate, leverage, approved):
    verdict = gate(kit.long(leverage=D(leverage)))
    assert verdict.approved is approved
    if not approved:
        assert verdict.rule is Rule.LEVERAGE


def test_leverage_also_respects_the_venue_maximum(gate):
    venue = kit.market(kit.inst_market(max_leverage=2))
    assert gate(kit.long(leverage=D(2)), market=venue).approved
    assert gate(kit.long(leverage=D("2.5")), market=venue).rule is Rule.LEVERAGE


@pytest.mark.parametrize("size_pct, approved", [("5", True), ("5.0001", False), ("1e9", False), ("100", False)])
def test_single_trade_notional_at_most_five_percent(gate, size_pct, approved):
    verdict = gate(kit.long(size_pct=size_pct))
    assert verdict.approved is approved
    if approved:
        assert verdict.order.notional == D(500) and verdict.numbers["notional_pct"] == D(5)
    else:
        assert verdict.rule is Rule.TRADE_NOTIONAL


def test_notional_is_valued_at_the_higher_of_mark_and_last(gate):
    verdict = gate(kit.long(size_pct="5"), market=kit.market(kit.inst_market(mark="50000", last="50100")))
    order = verdict.order
    assert verdict.approved and order.valuation_px == D(50100)
    assert order.contracts == D("0.99")  # 500 / (0.01 × 50,100) = 0.998 → rounded down to the lot
    assert order.notional == D("0.99") * D("0.01") * D(50100) <= D(500)


@pytest.mark.parametrize("limit_price, approved", [
    ("49500", True),  # exactly 1 % below the mark
    ("49499.9", False),
    ("49499.96", True),  # rounds to the tick 49,500.0 first
    ("50500", True),  # exactly 1 % above
    ("50500.1", False),
])
def test_limit_entry_within_one_percent_of_mark(gate, limit_price, approved):
    decision = kit.long(entry_type="limit", entry_price=D(limit_price), stop="49000", take="54000")
    verdict = gate(decision)
    assert verdict.approved is approved, verdict.reason
    if approved:
        assert verdict.order.price == D(limit_price).quantize(D("0.1")) and verdict.order.ord_type == "limit"
        assert verdict.order.entry_ref == verdict.order.price
    else:
        assert verdict.rule is Rule.ENTRY_DEVIATION


def test_a_market_order_whose_reference_price_is_stale_is_rejected(gate):
    assert gate(kit.long(entry_price=D(50500))).approved
    assert gate(kit.long(entry_price=D("50500.1"))).rule is Rule.ENTRY_DEVIATION


def test_a_limit_order_without_a_price_is_rejected(gate):
    assert gate(kit.long(entry_type="limit", entry_price=None)).rule is Rule.ENTRY_DEVIATION


def test_stop_loss_and_take_profit_must_be_present(gate):
    assert gate(kit.long(stop=None)).rule is Rule.STOP_LOSS_MISSING
    assert gate(kit.short(take=None)).rule is Rule.TAKE_PROFIT_MISSING


@pytest.mark.parametrize("decision, rule", [
    (kit.long(stop="50000"), Rule.STOP_LOSS_SIDE),  # at the entry
    (kit.long(stop="51000", take="53000"), Rule.STOP_LOSS_SIDE),  # above the entry
    (kit.short(stop="49000"), Rule.STOP_LOSS_SIDE),
    (kit.long(take="49500"), Rule.TAKE_PROFIT_SIDE),  # take-profit inside the stop side
    (kit.short(take="50000"), Rule.TAKE_PROFIT_SIDE),
    (kit.long(stop="0.04"), Rule.STOP_LOSS_SIDE),  # rounds to a zero trigger price
])
def test_protection_on_the_wrong_side_is_rejected(gate, decision, rule):
    assert gate(decision).rule is rule


def test_stop_loss_must_be_below_the_current_last_price_too(gate):
    skewed = kit.market(kit.inst_market(mark="50000", last="49900"))
    assert gate(kit.long(stop="49950", take="53000"), market=skewed).rule is Rule.STOP_LOSS_SIDE
    assert gate(kit.long(stop="49850", take="53000"), market=skewed).approved
    assert gate(kit.short(stop="51000", take="49950"), market=skewed).rule is Rule.TAKE_PROFIT_SIDE


@pytest.mark.parametrize("decision, approved", [
    (kit.long(stop="48500", take="53000"), True),  # exactly 3 % below 50,000
    (kit.long(stop="48499.9", take="53000"), False),
    (kit.short(stop="51500", take="47000"), True),  # exactly 3 % above
    (kit.short(stop="51500.1", take="47000"), False),
])
def test_stop_loss_at_most_three_percent_from_entry(gate, decision, approved):
    verdict = gate(decision)
    assert verdict.approved is approved
    if not approved:
        assert verdict.rule is Rule.STOP_LOSS_DISTANCE and verdict.numbers["limit_pct"] == D(3)


def test_stop_distance_of_a_market_long_is_measured_from_the_higher_price(gate):
    skewed = kit.market(kit.inst_market(mark="50000", last="50100"))
    # 48,500 is 3 % below 50,000 but 3.19 % below 50,100, where a market buy may fill
    assert gate(kit.long(stop="48500", take="53000"), market=skewed).rule is Rule.STOP_LOSS_DISTANCE


@pytest.mark.parametrize("decision, approved", [
    (kit.long(stop="49000", take="51500"), True),  # reward 1,500 / risk 1,000 = exactly 1.5
    (kit.long(stop="49000", take="51499.9"), False),
    (kit.short(stop="51000", take="48500"), True),
    (kit.short(stop="51000", take="48500.1"), False),
])
def test_reward_to_risk_at_least_one_and_a_half(gate, decision, approved):
    verdict = gate(decision)
    assert verdict.approved is approved
    if not approved:
        assert verdict.rule is Rule.REWARD_RISK


def _order(side: str, entry: str, stop: str, leverage: str) -> SizedOrder:
    return SizedOrder(inst_id=kit.BTC, side=side, ord_type="market", contracts=D(1), price=None, stop_loss=D(stop),
                      take_profit=D(1), leverage=D(leverage), entry_ref=D(entry), valuation_px=D(entry),
                      notional=D(1), margin=D(1))


@pytest.mark.parametrize("side, entry, stop, approved", [
    # 50× long from 49,500: liquidation ≈ 49,500 × (1 − 1/50) / (1 − 0.01) = 49,000 exactly
    ("long", "49500", "49000.1", True),
    ("long", "49500", "49000", False),  # liquidation AT the stop counts as before it
    ("long", "49500", "48999.9", False),
    # 50× short from 50,500: 50,500 × (1 + 1/50) / (1 + 0.01) = 51,000 exactly
    ("short", "50500", "50999.9", True),
    ("short", "50500", "51000", False),
])
def test_liquidation_must_not_come_before_the_stop(side, entry, stop, approved):
    order = _order(side, entry, stop, "50")
    finding = order_rules.liquidation(order, kit.inst_market(), HARD_LIMITS)
    assert (finding is None) is approved
    if finding:
        assert finding.rule is Rule.LIQUIDATION


def test_within_the_hard_limits_liquidation_is_far_beyond_any_allowed_stop(gate):
    verdict = gate(kit.long(stop="48500", take="53000", leverage=D(3)))
    assert verdict.approved and verdict.numbers["liquidation_price"] < D(48500) * D("0.7")


@pytest.mark.parametrize("size_pct, min_sz, approved", [
    ("0", "0.01", False), ("0.0499", "0.01", False),
    ("0.05", "0.01", True),  # one lot: 0.01 × 0.01 × 50,000 = 5 USDT = 0.05 % of 10,000
    ("0.2", "0.05", False), ("0.25", "0.05", True),  # 0.05 contracts = minSz exactly
])
def test_sizes_rounding_to_zero_or_below_min_size_are_rejected(gate, size_pct, min_sz, approved):
    verdict = gate(kit.long(size_pct=size_pct), market=kit.market(kit.inst_market(min_sz=D(min_sz))))
    assert verdict.approved is approved
    if not approved:
        assert verdict.rule is Rule.SIZE_TOO_SMALL


def test_orders_above_the_venue_maximum_are_rejected(gate):
    assert gate(market=kit.market(kit.inst_market(max_mkt_sz=D(1)))).approved  # 1 contract exactly
    assert gate(market=kit.market(kit.inst_market(max_mkt_sz=D("0.99")))).rule is Rule.SIZE_TOO_LARGE
    limit = kit.long(entry_type="limit", entry_price=D(50000))
    assert gate(limit, market=kit.market(kit.inst_market(max_mkt_sz=D("0.5")))).approved  # limit max applies
    assert gate(limit, market=kit.market(kit.inst_market(max_lmt_sz=D("0.5")))).rule is Rule.SIZE_TOO_LARGE


def test_margin_must_be_available(gate):
    two_x = kit.long(leverage=D(2))  # 500 USDT notional at 2× needs 250 USDT
    assert gate(two_x, account=kit.account(available="250")).approved
    verdict = gate(two_x, account=kit.account(available="249.99"))
    assert verdict.rule is Rule.MARGIN and verdict.numbers["margin"] == D(250)


def test_prices_are_rounded_to_the_tick_and_the_rounded_prices_are_checked(gate):
    verdict = gate(kit.long(stop="49000.04", take="52000.06"))
    assert verdict.order.stop_loss == D("49000.0") and verdict.order.take_profit == D("52000.1")
    # 48,499.95 rounds half-up to 48,500.0: exactly 3 %, allowed; 48,499.94 rounds to 48,499.9: rejected
    assert gate(kit.long(stop="48499.95", take="53000")).approved
    assert gate(kit.long(stop="48499.94", take="53000")).rule is Rule.STOP_LOSS_DISTANCE


def test_short_orders_map_to_sell_requests(gate):
    verdict = gate(kit.short())
    request = verdict.order.to_request("abc123", "cross", net_mode=True)
    assert (request.side, request.pos_side, request.td_mode, request.tp_trigger_px) == ("sell", "net", "cross", D(48000))
