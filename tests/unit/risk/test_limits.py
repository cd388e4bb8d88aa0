"""The hard limits can only ever be tightened."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from trading_bot.risk import limits
from trading_bot.risk.limits import HARD_LIMITS, LooserLimitError, RiskLimits

D = Decimal


def test_the_hard_limits_are_the_issue_table():
    assert (HARD_LIMITS.max_daily_loss_pct, HARD_LIMITS.max_drawdown_pct, HARD_LIMITS.max_open_positions) == (
        D(3), D(10), 3)
    assert (HARD_LIMITS.max_total_exposure_pct, HARD_LIMITS.max_trade_notional_pct, HARD_LIMITS.max_leverage) == (
        D(15), D(5), D(3))
    assert (HARD_LIMITS.max_stop_distance_pct, HARD_LIMITS.min_reward_risk, HARD_LIMITS.max_consecutive_losses) == (
        D(3), D("1.5"), 3)
    assert HARD_LIMITS.cooldown == timedelta(minutes=30) and HARD_LIMITS.max_correlation == 0.8
    assert limits.CORRELATION_RETURNS == 100 and limits.MAX_SNAPSHOT_AGE_CYCLES == 2
    assert HARD_LIMITS.max_entry_deviation_pct == D(1)


LOOSER = {
    "max_daily_loss_pct": D("3.01"), "max_drawdown_pct": D(11), "max_open_positions": 4,
    "max_total_exposure_pct": D(20), "max_trade_notional_pct": D("5.1"), "max_leverage": D(5),
    "max_stop_distance_pct": D(4), "min_reward_risk": D("1.4"), "max_consecutive_losses": 4,
    "cooldown": timedelta(minutes=29), "max_correlation": 0.9, "max_entry_deviation_pct": D(2),
}
TIGHTER = {
    "max_daily_loss_pct": D(2), "max_drawdown_pct": D(8), "max_open_positions": 2,
    "max_total_exposure_pct": D(10), "max_trade_notional_pct": D(2), "max_leverage": D(2),
    "max_stop_distance_pct": D("1.5"), "min_reward_risk": D(2), "max_consecutive_losses": 2,
    "cooldown": timedelta(hours=1), "max_correlation": 0.7, "max_entry_deviation_pct": D("0.5"),
}


@pytest.mark.parametrize("name", sorted(LOOSER))
def test_no_limit_can_be_loosened(name):
    with pytest.raises(LooserLimitError, match=name):
        HARD_LIMITS.stricter(**{name: LOOSER[name]})
    with pytest.raises(LooserLimitError):
        RiskLimits(**{name: LOOSER[name]})


@pytest.mark.parametrize("name", sorted(TIGHTER))
def test_every_limit_can_be_tightened_and_stays_tightened(name):
    tighter = HARD_LIMITS.stricter(**{name: TIGHTER[name]})
    assert getattr(tighter, name) == TIGHTER[name]
    with pytest.raises(LooserLimitError, match="the limit in force"):
        tighter.stricter(**{name: HARD_LIMITS.__getattribute__(name)})  # back to the hard limit is looser
    assert tighter.stricter(**{name: None}) == tighter  # None keeps the current value


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), 3.0, "3"])
def test_non_finite_or_mistyped_limits_are_refused(value):
    with pytest.raises(LooserLimitError):
        RiskLimits(max_leverage=value)  # type: ignore[arg-type]


def test_settings_may_tighten_limits():
    from trading_bot.config import load_settings

    settings = load_settings(risk_max_leverage="2", risk_cooldown_minutes="45", risk_max_open_positions="1")
    tightened = settings.risk_limits()
    assert (tightened.max_leverage, tightened.cooldown, tightened.max_open_positions) == (
        D(2), timedelta(minutes=45), 1)
    assert load_settings().risk_limits() == HARD_LIMITS


@pytest.mark.parametrize("variable, value, message", [
    ("RISK_MAX_LEVERAGE", "5", "RISK_MAX_LEVERAGE: may only tighten the hard limit: expected at most 3"),
    ("RISK_MAX_TRADE_PCT", "5.01", "RISK_MAX_TRADE_PCT: may only tighten the hard limit: expected at most 5"),
    ("RISK_MAX_EXPOSURE_PCT", "16", "expected at most 15"),
    ("RISK_MAX_OPEN_POSITIONS", "4", "expected at most 3"),
    ("RISK_MAX_DAILY_LOSS_PCT", "3.5", "expected at most 3"),
    ("RISK_MAX_DRAWDOWN_PCT", "20", "expected at most 10"),
    ("RISK_MAX_STOP_DISTANCE_PCT", "4", "expected at most 3"),
    ("RISK_MIN_REWARD_RISK", "1.2", "expected at least 1.5"),
    ("RISK_COOLDOWN_MINUTES", "29", "expected at least 30"),
    ("RISK_MAX_LEVERAGE", "0", "expected a positive number"),
    ("RISK_MAX_OPEN_POSITIONS", "-1", "expected a positive number"),
    ("RISK_MAX_TRADE_PCT", "NaN", "finite number"),
])
def test_settings_can_never_loosen_a_limit(monkeypatch, variable, value, message):
    from trading_bot.config import ConfigError, load_settings

    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=message):
        load_settings()
