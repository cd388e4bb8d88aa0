"""Derived signals at and around their boundaries (vectorised: one array element per case)."""

from __future__ import annotations

import numpy as np

from trading_bot.market import signals

NAN = np.nan


def _labels(codes: np.ndarray, names: tuple) -> list:  # noqa: ANN001
    return [names[c] for c in codes]


def test_rsi_zones_with_exclusive_boundaries() -> None:
    rsi = np.array([29.99, 30.0, 50.0, 70.0, 70.01, NAN])
    assert _labels(signals.rsi_zone(rsi), signals.RSI_ZONES) == [
        "oversold", "neutral", "neutral", "neutral", "overbought", None]


def test_ema_alignment_needs_a_strict_order_of_all_three() -> None:
    ema20, ema50, ema200 = np.array([3, 1, 3, 2, 2, NAN]), np.array([2, 2, 3, 2, 3, 2]), np.array([1, 3, 1, 1, 1, 1])
    assert _labels(signals.ema_alignment(ema20.astype(float), ema50.astype(float), ema200.astype(float)),
                   signals.ALIGNMENTS) == ["bullish", "bearish", "mixed", "mixed", "mixed", None]


def test_macd_cross_on_the_last_bar_only() -> None:
    prev_macd = np.array([1.0, 1.0, 2.0, 2.0, 1.0, NAN])
    prev_signal = np.array([1.0, 2.0, 1.0, 2.0, 2.0, 1.0])
    macd = np.array([2.0, 3.0, 0.0, 2.0, 1.5, 1.0])
    signal = np.array([1.0, 2.0, 1.0, 2.0, 2.0, 1.0])
    assert _labels(signals.macd_cross(prev_macd, prev_signal, macd, signal), signals.MACD_CROSSES) == [
        "bullish_cross", "bullish_cross", "bearish_cross", "none", "none", None]


def test_bollinger_position_atr_percent_slope_and_ratio() -> None:
    position = signals.bb_position(np.array([90.0, 110.0, 120.0, 5.0]), np.array([90.0, 90.0, 90.0, 5.0]),
                                   np.array([110.0, 110.0, 110.0, 5.0]))
    np.testing.assert_array_equal(position, [0.0, 1.0, 1.5, NAN])
    np.testing.assert_array_equal(signals.atr_pct(np.array([2.0, 2.0]), np.array([200.0, 0.0])), [1.0, NAN])
    np.testing.assert_allclose(signals.ema_slope(np.array([105.0, 1.0]), np.array([100.0, 0.0]), 5), [1.0, NAN])
    np.testing.assert_array_equal(signals.atr_ratio(np.array([3.0, 1.0]), np.array([2.0, 0.0])), [1.5, NAN])
