"""Gate rules about the inputs themselves: HOLD/CLOSE, number hygiene, instrument, bot state,
stale counters, stale snapshots and stale market data. Each at its boundary."""

from __future__ import annotations

import decimal
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.kit import risk as kit
from trading_bot.domain.decision import Action, Decision
from trading_bot.risk.status import BotState
from trading_bot.risk.verdict import Rule

D = Decimal


def test_a_sound_long_is_approved_with_its_exact_order(gate):
    verdict = gate(kit.long(size_pct="5", stop="49000", take="52000"))
    assert verdict.approved and verdict.rule is Rule.ALL_LIMITS
    order = verdict.order
    assert order is not None
    assert (order.side, order.ord_type, order.contracts, order.stop_loss, order.take_profit) == (
        "long", "market", D("1"), D("49000"), D("52000"))
    assert order.notional == D("500") and order.margin == D("166.66666667")  # rounded up, for display
    assert verdict.numbers["stop_distance_pct"] == D("2") and verdict.numbers["reward_risk"] == D("2")
    request = order.to_request("c1", "isolated")
    assert (request.side, request.pos_side, request.size, request.sl_trigger_px) == ("buy", "long", D("1"), D("49000"))


@pytest.mark.parametrize("state", list(BotState))
@pytest.mark.parametrize("action", [Action.HOLD, Action.CLOSE])
def test_hold_and_close_are_approved_in_every_state_even_with_broken_numbers(gate, state, action):
    decision = Decision.model_construct(inst_id=kit.BTC, action=action, size_pct=D("NaN"), leverage=D("-5"))
    verdict = gate(decision, status=kit.status(state=state), account=kit.account(equity="NaN"),
                   market=kit.market(snapshot_at=kit.NOW - timedelta(days=3), data_ages={"price": 86400.0}))
    assert verdict.approved and verdict.rule is (Rule.HOLD if action is Action.HOLD else Rule.CLOSE)
    assert verdict.order is None


def test_hold_still_reports_an_escalation_the_account_calls_for(gate):
    verdict = gate(Decision.hold(kit.BTC, "wait"), account=kit.account(equity="9000"))
    assert verdict.approved
    assert verdict.escalation is not None and verdict.escalation.to_state is BotState.EMERGENCY_HALTED


@pytest.mark.parametrize("field, value", [
    ("size_pct", "NaN"), ("size_pct", "sNaN"), ("size_pct", "Infinity"), ("size_pct", "-1"),
    ("leverage", "-Infinity"), ("leverage", "-3"), ("entry_price", "NaN"), ("entry_price", "0"),
    ("stop_loss", "-49000"), ("stop_loss", "0"), ("take_profit", "Infinity"), ("take_profit", "-1"),
    ("size_pct", "1e999999"), ("stop_loss", "1E+20"),
])
def test_nan_infinity_negative_zero_price_and_absurd_numbers_are_rejected(gate, field, value):
    verdict = gate(kit.long(**{field: D(value)}))
    assert not verdict.approved and verdict.rule is Rule.INVALID_NUMBER
    assert field in verdict.reason


@pytest.mark.parametrize("confidence", [float("nan"), float("inf"), -0.1])
def test_a_broken_confidence_is_rejected(gate, confidence):
    assert gate(kit.long(confidence=confidence)).rule is Rule.INVALID_NUMBER


@pytest.mark.parametrize("account", [kit.account(equity="0"), kit.account(equity="-5"), kit.account(equity="NaN"),
                                     kit.account(available="-1")])
def test_a_broken_account_rejects_entries(gate, account):
    assert gate(account=account).rule is Rule.INVALID_NUMBER


def test_broken_position_or_market_numbers_reject_entries(gate):
    assert gate(positions=[kit.position(size="NaN")], market=kit.market(kit.inst_market(), kit.inst_market(kit.ETH, "3000"))
                ).rule is Rule.INVALID_NUMBER
    assert gate(market=kit.market(kit.inst_market(mark="0"))).rule is Rule.INVALID_NUMBER
    assert gate(market=kit.market(kit.inst_market(lot_sz=D("-0.01")))).rule is Rule.INVALID_NUMBER
    closes = kit.hourly_closes("50000", [0.01] * 5)
    bad = closes[:2] + ((closes[2][0], D("NaN")),) + closes[3:]
    assert gate(market=kit.market(kit.inst_market(closes=bad))).rule is Rule.INVALID_NUMBER


def test_unknown_or_suspended_instrument_is_rejected(gate):
    assert gate(kit.long(inst_id=kit.SOL)).rule is Rule.UNKNOWN_INSTRUMENT
    assert gate(market=kit.market(kit.inst_market(state="suspend"))).rule is Rule.UNKNOWN_INSTRUMENT


@pytest.mark.parametrize("state", [BotState.HALTED, BotState.EMERGENCY_HALTED, BotState.COOLDOWN])
def test_no_entries_outside_running(gate, state):
    until = kit.NOW + timedelta(minutes=1) if state is BotState.COOLDOWN else None
    verdict = gate(status=kit.status(state=state, until=until))
    assert not verdict.approved and verdict.rule is Rule.BOT_STATE and str(state) in verdict.reason


def test_cooldown_and_daily_halt_end_exactly_at_their_end_time(gate):
    for state in (BotState.COOLDOWN, BotState.HALTED):
        assert gate(status=kit.status(state=state, until=kit.NOW + timedelta(microseconds=1))).rule is Rule.BOT_STATE
        assert gate(status=kit.status(state=state, until=kit.NOW)).approved


def test_counters_of_another_day_or_without_a_baseline_reject_entries(gate):
    yesterday = kit.status(day_start=kit.status().day_start - timedelta(days=1))
    assert gate(status=yesterday).rule is Rule.STALE_RISK_STATE
    assert gate(status=kit.status(day_start_equity=None)).rule is Rule.STALE_RISK_STATE


def test_snapshot_age_boundary_is_two_cycle_intervals(gate):
    at_limit = kit.market(snapshot_at=kit.NOW - timedelta(seconds=600), cycle_seconds=300)
    assert gate(market=at_limit).approved  # exactly two intervals old: still usable
    beyond = kit.market(snapshot_at=kit.NOW - timedelta(seconds=600, microseconds=1), cycle_seconds=300)
    verdict = gate(market=beyond)
    assert verdict.rule is Rule.STALE_SNAPSHOT and verdict.numbers["max_age_seconds"] == 600


def test_snapshot_from_the_future_beyond_clock_skew_is_rejected(gate):
    assert gate(market=kit.market(snapshot_at=kit.NOW + timedelta(seconds=5))).approved
    assert gate(market=kit.market(snapshot_at=kit.NOW + timedelta(seconds=6))).rule is Rule.STALE_SNAPSHOT


@pytest.mark.parametrize("source", ["price", "ticker", "book"])
def test_market_data_older_than_a_minute_when_the_snapshot_was_taken_refuses_entries(gate, source):
    at_limit = kit.market(data_ages={"price": 1.0, source: 60.0})
    assert gate(market=at_limit).approved  # exactly 60 s old: still usable
    beyond = kit.market(data_ages={"price": 1.0, "ticker": 1.0, source: 60.000001})
    verdict = gate(market=beyond)
    assert not verdict.approved and verdict.rule is Rule.STALE_MARKET_DATA and verdict.order is None
    assert verdict.reason == f"the {source} was 60 s old when the snapshot was taken (limit 60 s): the market feed is stale"
    assert verdict.numbers == {"source": source, "age_seconds": 60.000001, "max_age_seconds": 60}


def test_the_oldest_market_datum_is_the_one_named(gate):
    verdict = gate(market=kit.market(data_ages={"price": 90.0, "ticker": 61.0, "book": 400.0}))
    assert verdict.rule is Rule.STALE_MARKET_DATA and verdict.numbers["source"] == "book"
    assert verdict.numbers["age_seconds"] == 400.0


def test_market_data_age_is_measured_at_the_snapshot_whose_own_age_has_its_rule(gate):
    old_snapshot = kit.market(snapshot_at=kit.NOW - timedelta(seconds=590), cycle_seconds=300,
                              data_ages={"price": 5.0, "ticker": 5.0, "book": 5.0})
    assert gate(market=old_snapshot).approved  # 595 s before `now`, yet fresh when the snapshot was taken
    both = kit.market(snapshot_at=kit.NOW - timedelta(seconds=601), cycle_seconds=300, data_ages={"price": 90.0})
    assert gate(market=both).rule is Rule.STALE_SNAPSHOT  # the snapshot's own age is checked first


def test_a_price_without_a_time_refuses_entries(gate):
    verdict = gate(market=kit.market(data_ages={"ticker": 1.0}))
    assert verdict.rule is Rule.STALE_MARKET_DATA
    assert verdict.reason == "the market view gives no time for the price: its freshness is unknown"


def test_stale_market_data_is_checked_before_the_decision_is_sized(gate):
    stale = kit.market(data_ages={"price": 61.0})
    for decision in (kit.long(leverage=D(3)), kit.short(size_pct="5"), kit.long(stop=None)):
        assert gate(decision, market=stale).rule is Rule.STALE_MARKET_DATA


def test_the_gate_never_raises_it_rejects(gate):
    naive_now = kit.NOW.replace(tzinfo=None)
    verdict = gate(now=naive_now)
    assert not verdict.approved and verdict.rule is Rule.INTERNAL_ERROR and "naive datetime" in verdict.reason


def test_the_callers_decimal_context_does_not_change_the_verdict(gate):
    expected = gate()
    with decimal.localcontext(decimal.Context(prec=2, rounding=decimal.ROUND_UP, traps=[decimal.Inexact])):
        assert gate() == expected
