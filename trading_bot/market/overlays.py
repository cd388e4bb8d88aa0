"""The indicators TA-Lib lacks: VWAP anchored at 00:00 UTC and Ichimoku (without the chikou span).

Both have a bounded memory, so they are computed as series over a whole frame: for every bar, the
value its own window gives (`starts[i]` = index of the first bar of bar i's window). The live path
calls these on one window, the backtest once on the whole history; the values are identical.

VWAP = Σ typical price × volume / Σ volume over the bars since 00:00 UTC of the bar's day, typical
price = (high + low + close) / 3, as pandas-ta's `vwap(anchor="D")`; the sums run in bar order.

Ichimoku(9, 26, 52): tenkan and kijun are the midpoints of the 9- and 26-bar high/low ranges (TA-Lib
MIDPRICE, as pandas-ta uses it); the senkou spans reported are the cloud *at the bar*, i.e. the spans
computed 25 bars earlier (plotted 26 periods ahead counting the current bar, like pandas-ta and
TradingView). The chikou span is the close plotted 25 bars back: drawing it at the last bar needs
future prices, so it is never computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.market.frame import CandleFrame
from trading_bot.market.ta_engine import ta_c

DAY_MS = 86_400_000
TENKAN, KIJUN, SENKOU = 9, 26, 52
DISPLACEMENT = KIJUN - 1  # bars between the computation of a span and the bar it is drawn at

ICHIMOKU_BARS_NEEDED = {
    "ichimoku_tenkan": TENKAN,
    "ichimoku_kijun": KIJUN,
    "ichimoku_senkou_a": KIJUN + DISPLACEMENT,
    "ichimoku_senkou_b": SENKOU + DISPLACEMENT,
}

VWAP_OK, VWAP_NO_DAY_START, VWAP_NO_VOLUME = 0, 1, 2
VWAP_REASONS = {
    VWAP_NO_DAY_START: "the window starts after 00:00 UTC of the current day",
    VWAP_NO_VOLUME: "no volume since 00:00 UTC",
}


def day_starts(ts: NDArray[np.int64]) -> NDArray[np.int64]:
    starts: NDArray[np.int64] = ts - ts % DAY_MS
    return starts


def vwap_series(frame: CandleFrame, starts: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """(vwap, status) per bar; vwap is NaN where status is not VWAP_OK."""
    n = len(frame)
    weighted = np.empty(n)
    volume = np.empty(n)
    typical = (frame.high + frame.low + frame.close) / 3.0
    priced = typical * frame.volume
    day = day_starts(frame.ts)
    bounds = np.flatnonzero(np.diff(day)) + 1
    for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, n], strict=True):
        np.cumsum(priced[lo:hi], out=weighted[lo:hi])
        np.cumsum(frame.volume[lo:hi], out=volume[lo:hi])
    status = np.full(n, VWAP_OK, dtype=np.int8)
    status[volume <= 0] = VWAP_NO_VOLUME
    status[frame.ts[starts] > day] = VWAP_NO_DAY_START
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(status == VWAP_OK, weighted / volume, np.nan)
    return values, status


def ichimoku_series(frame: CandleFrame, counts: NDArray[Any]) -> dict[str, NDArray[Any]]:
    """tenkan, kijun and the cloud at each bar; NaN where the bar's window is too short."""
    tenkan = ta_c.MIDPRICE(frame.high, frame.low, TENKAN)
    kijun = ta_c.MIDPRICE(frame.high, frame.low, KIJUN)
    span_b = ta_c.MIDPRICE(frame.high, frame.low, SENKOU)
    raw = {
        "ichimoku_tenkan": tenkan,
        "ichimoku_kijun": kijun,
        "ichimoku_senkou_a": _displace((tenkan + kijun) / 2.0),
        "ichimoku_senkou_b": _displace(span_b),
    }
    return {name: np.where(counts >= ICHIMOKU_BARS_NEEDED[name], values, np.nan) for name, values in raw.items()}


def _displace(values: NDArray[Any]) -> NDArray[Any]:
    out = np.full(len(values), np.nan)
    if len(values) > DISPLACEMENT:
        out[DISPLACEMENT:] = values[: len(values) - DISPLACEMENT]
    return out
