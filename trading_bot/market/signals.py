"""Signals derived from indicator values: RSI zone, Bollinger position, EMA alignment, MACD cross."""

from __future__ import annotations

from typing import Literal

from trading_bot.market.unavailable import Unavailable

RSI_OVERSOLD = 30.0
RSI_OVERBOUGHT = 70.0

RsiZone = Literal["oversold", "neutral", "overbought"]
Alignment = Literal["bullish", "bearish", "mixed"]
MacdCross = Literal["bullish_cross", "bearish_cross", "none"]


def rsi_zone(rsi: float) -> RsiZone:
    """Below 30 oversold, above 70 overbought (30 and 70 themselves are neutral)."""
    if rsi < RSI_OVERSOLD:
        return "oversold"
    if rsi > RSI_OVERBOUGHT:
        return "overbought"
    return "neutral"


def bb_position(close: float, lower: float, upper: float) -> float | Unavailable:
    """0 at the lower band, 1 at the upper band (below 0 or above 1 outside the bands)."""
    width = upper - lower
    if width <= 0:
        return Unavailable("the Bollinger bands have zero width (flat prices)")
    return (close - lower) / width


def ema_alignment(ema20: float, ema50: float, ema200: float) -> Alignment:
    """bullish when EMA20 > EMA50 > EMA200, bearish when EMA20 < EMA50 < EMA200, else mixed."""
    if ema20 > ema50 > ema200:
        return "bullish"
    if ema20 < ema50 < ema200:
        return "bearish"
    return "mixed"


def macd_cross(prev_macd: float, prev_signal: float, macd: float, signal: float) -> MacdCross:
    """A cross on the last closed bar: the MACD line was at or below (above) the signal line on the
    bar before and is strictly above (below) it now."""
    if prev_macd <= prev_signal and macd > signal:
        return "bullish_cross"
    if prev_macd >= prev_signal and macd < signal:
        return "bearish_cross"
    return "none"


def atr_pct(atr: float, close: float) -> float | Unavailable:
    if close <= 0:
        return Unavailable("close is not positive")
    return atr / close * 100.0
