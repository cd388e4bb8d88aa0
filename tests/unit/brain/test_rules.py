"""The offline rules brain on constructed snapshots: one setup per regime, stops and targets inside
the risk limits, standing aside when volatile, managing an open position."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.kit.snapshots import context, position, snapshot
from trading_bot.brain.envelope import RiskEnvelope
from trading_bot.brain.rules import RULES_MODEL, RulesAnalyst, RulesScreenJudge
from trading_bot.domain.decision import Action

LIMITS = RiskEnvelope()


def check_inside_limits(decision) -> None:  # noqa: ANN001
    entry, stop, target = decision.entry_price, decision.stop_loss, decision.take_profit
    risk, reward = abs(entry - stop), abs(target - entry)
    assert risk / entry * 100 <= LIMITS.max_stop_pct
    assert reward / risk >= 2
    assert 0 < decision.size_pct <= LIMITS.max_trade_pct and decision.leverage <= LIMITS.max_leverage
    assert (stop < entry < target) if decision.action is Action.OPEN_LONG else (target < entry < stop)


@pytest.mark.parametrize(
    ("snap", "action", "strategy"),
    [
        (snapshot(label="trending_up"), Action.OPEN_LONG, "trend_pullback"),
        (snapshot(label="trending_down", ema_alignment="bearish", ema20=67100.0, macd_hist=-3.0, rsi=45.0),
         Action.OPEN_SHORT, "trend_pullback"),
        (snapshot(label="ranging", bb_position=0.03, rsi=28.0), Action.OPEN_LONG, "range_reversion"),
        (snapshot(label="ranging", bb_position=0.97, rsi=71.0), Action.OPEN_SHORT, "range_reversion"),
    ],
    ids=["trend-long", "trend-short", "range-long", "range-short"],
)
def test_entries_follow_the_regime_rules(snap, action, strategy):
    decision = RulesAnalyst().analyze(context(snap))
    assert (decision.action, decision.strategy, decision.model) == (action, strategy, RULES_MODEL)
    assert decision.reasoning.startswith("[offline rules brain]")
    check_inside_limits(decision)


def test_trend_long_numbers():
    decision = RulesAnalyst().analyze(context(snapshot(label="trending_up")))
    # ATR 400 × 1.5 = 600 stop distance; 2R target; confidence 0.7 (MACD confirms) → band 0.75 of 4.5 %
    assert (decision.entry_price, decision.stop_loss, decision.take_profit) == (
        Decimal("67000.0"), Decimal("66400.0"), Decimal("68200.0"))
    assert decision.confidence == 0.7 and decision.size_pct == Decimal("3.38") and decision.leverage == 2


@pytest.mark.parametrize(
    ("snap", "why"),
    [
        (snapshot(label="volatile"), "stands aside"),
        (snapshot(label="trending_up", rsi=72.0), "no trend_pullback entry"),
        (snapshot(label="trending_up", close=69000.0), "no trend_pullback entry"),  # 2000 from EMA20: a chase
        (snapshot(label="ranging", bb_position=0.5), "no range_reversion entry"),
        (snapshot(label="trending_up", atr=1500.0), "ATR stop wider than the risk gate allows"),
        (snapshot(label="trending_up", rsi=None), "indicators missing"),
    ],
)
def test_holds_with_a_reason(snap, why):
    decision = RulesAnalyst().analyze(context(snap))
    assert decision.action is Action.HOLD and why in decision.reasoning


def test_open_position_is_held_or_closed_when_the_regime_turns():
    held = RulesAnalyst().analyze(context(snapshot(label="trending_up"), positions=[position("long")]))
    assert held.action is Action.HOLD and "stop-loss and take-profit are on the exchange" in held.reasoning
    closed = RulesAnalyst().analyze(context(snapshot(label="trending_down"), positions=[position("long")]))
    assert closed.action is Action.CLOSE


def test_screen_judge_passes_exactly_when_there_is_a_setup():
    judge = RulesScreenJudge()
    assert judge.judge(context(snapshot(label="trending_up"))).signal is True
    quiet = judge.judge(context(snapshot(label="volatile")))
    assert quiet.signal is False and "stands aside" in quiet.reason


def test_envelope_follows_the_limits_in_force_and_the_rules_brain_respects_stricter_ones():
    from trading_bot.risk.limits import HARD_LIMITS

    assert RiskEnvelope() == RiskEnvelope.from_limits(HARD_LIMITS)
    strict = RiskEnvelope.from_limits(HARD_LIMITS.stricter(max_stop_distance_pct=Decimal("0.8"),
                                                           max_trade_notional_pct=Decimal("2")))
    held = RulesAnalyst().analyze(context(snapshot(label="trending_up"), limits=strict))
    assert held.action is Action.HOLD and "ATR stop wider" in held.reasoning  # 600/67000 = 0.9 % > 0.72 %
    entry = RulesAnalyst().analyze(context(snapshot(label="trending_up", atr=300.0), limits=strict))
    assert entry.action is Action.OPEN_LONG and entry.size_pct <= 2
