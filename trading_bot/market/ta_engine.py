"""The pinned indicator engine: TA-Lib (ta-lib 0.8.x), called directly on float64 arrays.

Why TA-Lib directly rather than through pandas-ta 0.4: pandas-ta switches to TA-Lib silently when it
is installed and its two paths disagree (warm-up lengths, Bollinger ddof); in TA-Lib mode its `adx`
returns smoothed +DM/−DM in the columns named DMP/DMN instead of +DI/−DI, its `stochrsi` never uses
TA-Lib and adds an epsilon to flat ranges, and each call costs 30–700 µs of pandas overhead (TA-Lib
itself: 2–6 µs for 200 bars), which a backtest building one snapshot per bar cannot afford. Live
snapshots and backtests call these same functions, so both compute identically. pandas-ta remains the
independent reference for VWAP and Ichimoku in the tests.

TA-Lib keeps process-wide settings (compatibility mode, unstable periods); they are pinned here to
TA-Lib's defaults so that nothing else in the process can shift the results. The functions are the
compiled ones underneath talib's public names (`__wrapped__`): the public wrapper only adds a
pandas/polars argument check, which costs more than the computation itself on 200 bars.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import talib
from numpy.typing import NDArray

talib.set_compatibility(0)  # TA_COMPATIBILITY_DEFAULT: EMA seeded by the SMA of its first period
talib.set_unstable_period("ALL", 0)


def _compiled(name: str) -> Callable[..., NDArray[Any]]:
    public = getattr(talib, name)
    compiled: Callable[..., NDArray[Any]] = getattr(public, "__wrapped__", public)
    return compiled


ta_c = SimpleNamespace(**{name: _compiled(name) for name in (
    "RSI", "MACD", "BBANDS", "STOCH", "EMA", "ATR", "ADX", "PLUS_DI", "MINUS_DI", "OBV", "MIDPRICE")})

RSI_PERIOD = 14
MACD_FAST, MACD_SLOW, MACD_SIGNAL = 12, 26, 9
BB_PERIOD, BB_STD = 20, 2.0
EMA_PERIODS = (20, 50, 200)
ATR_PERIOD = 14
ADX_PERIOD = 14
STOCHRSI_PERIOD, STOCHRSI_RSI_PERIOD, STOCHRSI_K, STOCHRSI_D = 14, 14, 3, 3
SMA = 0  # TA-Lib MA_Type.SMA

# Closed bars each output needs before TA-Lib returns a value (TA-Lib lookback + 1; a test checks).
BARS_NEEDED: dict[str, int] = {
    "rsi": RSI_PERIOD + 1,
    "macd": MACD_SLOW + MACD_SIGNAL - 1,
    "bb": BB_PERIOD,
    "ema20": 20,
    "ema50": 50,
    "ema200": 200,
    "atr": ATR_PERIOD + 1,
    "adx": 2 * ADX_PERIOD,
    "di": ADX_PERIOD + 1,
    "stochrsi": STOCHRSI_RSI_PERIOD + 1 + (STOCHRSI_PERIOD - 1) + (STOCHRSI_K - 1) + (STOCHRSI_D - 1),
    "obv": 1,
}


# What one window yields: the last value of every output, then the earlier values the MACD cross
# (previous bar) and the regime (EMA20 EMA_SLOPE_BARS bars back, mean of the last ATR_MEAN_BARS ATRs) need.
OUTPUTS = ("rsi", "macd", "macd_signal", "macd_hist", "bb_upper", "bb_middle", "bb_lower", "ema20", "ema50",
           "ema200", "atr", "adx", "plus_di", "minus_di", "stochrsi_k", "stochrsi_d", "obv")
EXTRAS = ("prev_macd", "prev_macd_signal", "ema20_before", "atr_mean")
EMA_SLOPE_BARS = 5
ATR_MEAN_BARS = 50


def stoch_rsi(rsi: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """StochRSI(14, 14, 3, 3): the stochastic of RSI over 14 bars, %K smoothed by a 3-bar SMA, %D the
    3-bar SMA of %K (TA-Lib STOCH on the RSI series; a flat RSI range gives 0, not NaN)."""
    k: NDArray[Any]
    d: NDArray[Any]
    k, d = ta_c.STOCH(rsi, rsi, rsi, fastk_period=STOCHRSI_PERIOD, slowk_period=STOCHRSI_K, slowk_matype=SMA,
                      slowd_period=STOCHRSI_D, slowd_matype=SMA)
    return k, d


def window_values(high: NDArray[Any], low: NDArray[Any], close: NDArray[Any], volume: NDArray[Any]) -> tuple[float, ...]:
    """OUTPUTS + EXTRAS of one window of float64 arrays (NaN where the window is too short).

    This runs once per bar of a backtest, so it is written for speed: no intermediate objects."""
    n = len(close)
    rsi = ta_c.RSI(close, RSI_PERIOD)
    macd, signal, hist = ta_c.MACD(close, MACD_FAST, MACD_SLOW, MACD_SIGNAL)
    upper, middle, lower = ta_c.BBANDS(close, BB_PERIOD, BB_STD, BB_STD, SMA)
    k, d = stoch_rsi(rsi)
    ema20 = ta_c.EMA(close, 20)
    atr = ta_c.ATR(high, low, close, ATR_PERIOD)
    nan = math.nan
    return (
        rsi[-1], macd[-1], signal[-1], hist[-1], upper[-1], middle[-1], lower[-1],
        ema20[-1], ta_c.EMA(close, 50)[-1], ta_c.EMA(close, 200)[-1], atr[-1],
        ta_c.ADX(high, low, close, ADX_PERIOD)[-1], ta_c.PLUS_DI(high, low, close, ADX_PERIOD)[-1],
        ta_c.MINUS_DI(high, low, close, ADX_PERIOD)[-1], k[-1], d[-1], ta_c.OBV(close, volume)[-1],
        macd[-2] if n > 1 else nan,
        signal[-2] if n > 1 else nan,
        ema20[-1 - EMA_SLOPE_BARS] if n > EMA_SLOPE_BARS else nan,
        float(atr[-ATR_MEAN_BARS:].sum()) / ATR_MEAN_BARS if n >= ATR_MEAN_BARS else nan,
    )
