"""Signals derived from indicator values, for many bars at once: RSI zone, Bollinger position, EMA
alignment, MACD cross, ATR as % of close, and the regime inputs (EMA20 slope, ATR ratio).

Labels come back as small integer codes (0 = cannot be computed: an input is NaN) indexing the
tuples below; numbers as floats (NaN = cannot be computed)."""

from __future__ import annotations

import numpy as np

RSI_OVERSOLD = 30.0
RSI_OVERBOUGHT = 70.0

RSI_ZONES = (None, "oversold", "overbought", "neutral")
ALIGNMENTS = (None, "bullish", "bearish", "mixed")
MACD_CROSSES = (None, "bullish_cross", "bearish_cross", "none")


def _codes(conditions: list[np.ndarray], valid: np.ndarray) -> np.ndarray:
    """Code k + 1 for the first true condition k, the last code when none holds, 0 when invalid."""
    out = np.full(len(valid), len(conditions) + 1, dtype=np.int8)
    for code, condition in reversed(list(enumerate(conditions, start=1))):
        out[condition] = code
    out[~valid] = 0
    return out


def rsi_zone(rsi: np.ndarray) -> np.ndarray:
    """Below 30 oversold, above 70 overbought (30 and 70 themselves are neutral)."""
    return _codes([rsi < RSI_OVERSOLD, rsi > RSI_OVERBOUGHT], np.isfinite(rsi))


def ema_alignment(ema20: np.ndarray, ema50: np.ndarray, ema200: np.ndarray) -> np.ndarray:
    """bullish when EMA20 > EMA50 > EMA200, bearish when EMA20 < EMA50 < EMA200, else mixed."""
    valid = np.isfinite(ema20) & np.isfinite(ema50) & np.isfinite(ema200)
    return _codes([(ema20 > ema50) & (ema50 > ema200), (ema20 < ema50) & (ema50 < ema200)], valid)


def macd_cross(prev_macd: np.ndarray, prev_signal: np.ndarray, macd: np.ndarray, signal: np.ndarray) -> np.ndarray:
    """A cross on the bar: the MACD line was at or below (above) the signal line on the bar before and
    is strictly above (below) it now."""
    valid = np.isfinite(prev_macd) & np.isfinite(prev_signal) & np.isfinite(macd) & np.isfinite(signal)
    return _codes([(prev_macd <= prev_signal) & (macd > signal), (prev_macd >= prev_signal) & (macd < signal)], valid)


def bb_position(close: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """0 at the lower band, 1 at the upper band (below 0 or above 1 outside the bands); NaN when the
    bands have no width."""
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(width > 0, (close - lower) / width, np.nan)


def atr_pct(atr: np.ndarray, close: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(close > 0, atr / close * 100.0, np.nan)


def ema_slope(now: np.ndarray, before: np.ndarray, bars: int) -> np.ndarray:
    """% change of the EMA per bar between `bars` bars ago (`before`) and now."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before != 0, (now / before - 1.0) * 100.0 / bars, np.nan)


def atr_ratio(atr: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """ATR against the mean of its last values (the current one included)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, atr / mean, np.nan)
