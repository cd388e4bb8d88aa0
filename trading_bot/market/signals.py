"""Signals derived from indicator values, for many bars at once: RSI zone, Bollinger position, EMA
alignment, MACD cross, ATR as % of close, and the regime inputs (EMA20 slope, ATR ratio).

Labels come back as small integer codes (0 = cannot be computed: an input is NaN) indexing the
tuples below; numbers as floats (NaN = cannot be computed)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

RSI_OVERSOLD = 30.0
RSI_OVERBOUGHT = 70.0

RSI_ZONES = (None, "oversold", "overbought", "neutral")
ALIGNMENTS = (None, "bullish", "bearish", "mixed")
MACD_CROSSES = (None, "bullish_cross", "bearish_cross", "none")


def _codes(conditions: list[NDArray[Any]], valid: NDArray[Any]) -> NDArray[Any]:
    """Code k + 1 for the first true condition k, the last code when none holds, 0 when invalid."""
    out = np.full(len(valid), len(conditions) + 1, dtype=np.int8)
    for code, condition in reversed(list(enumerate(conditions, start=1))):
        out[condition] = code
    out[~valid] = 0
    return out


def rsi_zone(rsi: NDArray[Any]) -> NDArray[Any]:
    """Below 30 oversold, above 70 overbought (30 and 70 themselves are neutral)."""
    return _codes([rsi < RSI_OVERSOLD, rsi > RSI_OVERBOUGHT], np.isfinite(rsi))


def ema_alignment(ema20: NDArray[Any], ema50: NDArray[Any], ema200: NDArray[Any]) -> NDArray[Any]:
    """bullish when EMA20 > EMA50 > EMA200, bearish when EMA20 < EMA50 < EMA200, else mixed."""
    valid = np.isfinite(ema20) & np.isfinite(ema50) & np.isfinite(ema200)
    return _codes([(ema20 > ema50) & (ema50 > ema200), (ema20 < ema50) & (ema50 < ema200)], valid)


def macd_cross(prev_macd: NDArray[Any], prev_signal: NDArray[Any], macd: NDArray[Any], signal: NDArray[Any]) -> NDArray[Any]:
    """A cross on the bar: the MACD line was at or below (above) the signal line on the bar before and
    is strictly above (below) it now."""
    valid = np.isfinite(prev_macd) & np.isfinite(prev_signal) & np.isfinite(macd) & np.isfinite(signal)
    return _codes([(prev_macd <= prev_signal) & (macd > signal), (prev_macd >= prev_signal) & (macd < signal)], valid)


def bb_position(close: NDArray[Any], lower: NDArray[Any], upper: NDArray[Any]) -> NDArray[Any]:
    """0 at the lower band, 1 at the upper band (below 0 or above 1 outside the bands); NaN when the
    bands have no width."""
    width = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(width > 0, (close - lower) / width, np.nan)


def atr_pct(atr: NDArray[Any], close: NDArray[Any]) -> NDArray[Any]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(close > 0, atr / close * 100.0, np.nan)


def ema_slope(now: NDArray[Any], before: NDArray[Any], bars: int) -> NDArray[Any]:
    """% change of the EMA per bar between `bars` bars ago (`before`) and now."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(before != 0, (now / before - 1.0) * 100.0 / bars, np.nan)


def atr_ratio(atr: NDArray[Any], mean: NDArray[Any]) -> NDArray[Any]:
    """ATR against the mean of its last values (the current one included)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mean > 0, atr / mean, np.nan)
