"""Regime classification: constructed series for every regime, the boundaries, missing inputs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kit.candles import frame
from trading_bot.market.frame import Window
from trading_bot.market.indicators import analyse
from trading_bot.market.regime import RegimeInputs, classify
from trading_bot.market.unavailable import Unavailable


def _regime(closes: np.ndarray, **kwargs):  # noqa: ANN003, ANN202
    result = analyse(Window(frame(closes, "1H", **kwargs)))
    assert result.regime is not None, result.regime_missing
    return result.regime


def test_a_steady_rise_is_trending_up_and_a_steady_fall_trending_down() -> None:
    rise = 100 + np.arange(200) * 0.5
    up = _regime(rise, spread=0.2)
    assert up.label == "trending_up" and up.adx > 25 and up.ema20_slope > 0
    down = _regime(rise[::-1], spread=0.2)
    assert down.label == "trending_down" and down.adx > 25 and down.ema20_slope < 0


def test_a_sideways_market_whose_range_suddenly_widens_is_volatile() -> None:
    rng = np.random.default_rng(3)
    calm = 100 + rng.normal(0, 0.05, 190)
    burst = 100 + np.array([3, -3, 4, -4, 3, -3, 4, -4, 3, -3])
    spread = np.r_[np.full(190, 0.1), np.full(10, 4.0)]
    closes = np.r_[calm, burst]
    bars = frame(closes, "1H", highs=np.maximum(closes, np.r_[closes[:1], closes[:-1]]) + spread,
                 lows=np.minimum(closes, np.r_[closes[:1], closes[:-1]]) - spread)
    result = analyse(Window(bars))
    assert result.regime is not None
    assert result.regime.label == "volatile"
    assert result.regime.atr_ratio > 1.5
    assert result.regime.adx <= 25 or result.regime.ema20_slope == 0


def test_an_oscillation_of_constant_size_is_ranging() -> None:
    closes = 100 + 2 * np.sin(np.arange(200) / 3.0)
    regime = _regime(closes)
    assert regime.label == "ranging"
    assert regime.adx <= 25 and regime.atr_ratio <= 1.5


@pytest.mark.parametrize(
    ("adx", "slope", "ratio", "label"),
    [
        (25.0, 0.3, 1.0, "ranging"),  # ADX exactly 25 is not a trend
        (25.0001, 0.3, 1.0, "trending_up"),
        (25.0001, -0.3, 1.0, "trending_down"),
        (40.0, 0.0, 1.0, "ranging"),  # a flat EMA is no trend even with a high ADX
        (40.0, 0.0, 1.6, "volatile"),
        (10.0, 0.5, 1.5, "ranging"),  # ratio exactly 1.5 is not volatile
        (10.0, 0.5, 1.5001, "volatile"),
        (30.0, 0.1, 3.0, "trending_up"),  # the trend rule comes first
        (30.0, 0.1, None, "trending_up"),  # a missing ratio cannot change a trend
    ],
)
def test_boundaries_and_rule_order(adx: float, slope: float, ratio: float | None, label: str) -> None:
    regime = classify(RegimeInputs(adx, slope, ratio))
    assert not isinstance(regime, Unavailable)
    assert regime.label == label
    assert (regime.adx, regime.ema20_slope, regime.atr_ratio) == (adx, slope, ratio)
    assert regime.reason


@pytest.mark.parametrize(
    ("adx", "slope", "ratio", "why"),
    [
        (None, 0.2, 1.0, "trend cannot be ruled out"),
        (30.0, None, 1.0, "trend cannot be ruled out"),
        (20.0, 0.2, None, "ATR / its 50-bar mean is unavailable"),
    ],
)
def test_no_regime_when_a_missing_input_could_change_it(adx, slope, ratio, why) -> None:  # noqa: ANN001
    result = classify(RegimeInputs(adx, slope, ratio))
    assert isinstance(result, Unavailable)
    assert why in result.reason


def test_short_history_gives_no_regime_with_the_reason_unless_the_trend_rule_already_decides() -> None:
    sideways = analyse(Window(frame(100 + 2 * np.sin(np.arange(40) / 3.0), "1H")))
    assert sideways.regime is None
    assert "ATR / its 50-bar mean is unavailable" in (sideways.regime_missing or "")
    rising = analyse(Window(frame(100 + np.arange(40.0), "1H")))  # 40 bars: ADX yes, 50-bar ATR mean no
    assert rising.regime is not None and rising.regime.label == "trending_up" and rising.regime.atr_ratio is None
    assert analyse(Window(frame(100 + np.arange(20.0), "1H"))).regime is None  # no ADX yet
