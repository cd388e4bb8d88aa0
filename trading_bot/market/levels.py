"""Support and resistance: classic floor pivots of the previous UTC day and Williams fractals.

Pivots (from the previous complete UTC day's high H, low L and close C):
P = (H + L + C) / 3, R1 = 2P − L, S1 = 2P − H, R2 = P + (H − L), S2 = P − (H − L),
R3 = H + 2(P − L), S3 = L − 2(H − P). They need the bar's window to hold that whole day.

A fractal high is a bar whose high is strictly above the highs of the two bars before and the two
after it (a fractal low mirrors it). It is known only two bars later, so the last two bars of a
window never hold one (no look-ahead), and all five bars must lie inside the window.

Supports are the levels below the last close, resistances those above, nearest first, at most
MAX_LEVELS each, pivot levels and fractals merged, duplicates removed.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.domain.snapshot import PivotLevels
from trading_bot.market.frame import CandleFrame
from trading_bot.market.overlays import DAY_MS, day_starts

FRACTAL_SIDE = 2  # bars on each side of a fractal
MAX_LEVELS = 5
PIVOT_NAMES = ("pivot", "r1", "r2", "r3", "s1", "s2", "s3")
NO_PREVIOUS_DAY = "the window does not hold the whole previous UTC day"


def _pivot_formulas(high: NDArray[np.float64], low: NDArray[np.float64],
                    close: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    pivot: NDArray[np.float64] = (high + low + close) / 3.0
    return (pivot, 2 * pivot - low, pivot + (high - low), high + 2 * (pivot - low),
            2 * pivot - high, pivot - (high - low), low - 2 * (high - pivot))


def pivot_series(frame: CandleFrame, starts: NDArray[Any]) -> NDArray[Any]:
    """Pivot levels per bar (rows in PIVOT_NAMES order); NaN rows where the bar's window does not
    hold the whole previous UTC day."""
    n = len(frame)
    out = np.full((len(PIVOT_NAMES), n), np.nan)
    if n == 0:
        return out
    day = day_starts(frame.ts)
    bounds = np.flatnonzero(np.diff(day)) + 1
    first, stop = np.r_[0, bounds], np.r_[bounds, n]
    high = np.maximum.reduceat(frame.high, first)
    low = np.minimum.reduceat(frame.low, first)
    close = frame.close[stop - 1]
    levels = np.vstack(_pivot_formulas(high, low, close))
    # Bar i uses day k-1 when it lies in day k, that day directly precedes it and the window covers it.
    day_of_bar = np.repeat(np.arange(len(first)), stop - first)
    previous = day_of_bar - 1
    usable = (previous >= 0) & (frame.ts[starts] <= day - DAY_MS)
    usable[usable] &= day[first[previous[usable]]] == day[usable] - DAY_MS
    out[:, usable] = levels[:, previous[usable]]
    return out


@dataclass(frozen=True, slots=True)
class Fractals:
    """Positions (ascending) and prices of the fractal highs and lows of a frame, merged."""

    at: list[int]
    price: list[float]


def find_fractals(frame: CandleFrame) -> Fractals:
    n = len(frame)
    if n < 2 * FRACTAL_SIDE + 1:
        return Fractals([], [])
    centre = slice(FRACTAL_SIDE, n - FRACTAL_SIDE)
    is_high = np.ones(n - 2 * FRACTAL_SIDE, dtype=bool)
    is_low = is_high.copy()
    for offset in (-2, -1, 1, 2):
        other = slice(FRACTAL_SIDE + offset, n - FRACTAL_SIDE + offset)
        is_high &= frame.high[centre] > frame.high[other]
        is_low &= frame.low[centre] < frame.low[other]
    high_at = np.flatnonzero(is_high) + FRACTAL_SIDE
    low_at = np.flatnonzero(is_low) + FRACTAL_SIDE
    at = np.concatenate((high_at, low_at))
    price = np.concatenate((frame.high[high_at], frame.low[low_at]))
    order = np.argsort(at, kind="stable")  # a bar can be both; its high comes first
    return Fractals(at[order].tolist(), price[order].tolist())


def support_resistance(
    fractals: Fractals, start: int, index: int, close: float, pivots: PivotLevels | None
) -> tuple[list[float], list[float]]:
    """(supports, resistances) at bar `index` whose window starts at `start`, nearest first."""
    first = bisect.bisect_left(fractals.at, start + FRACTAL_SIDE)
    stop = bisect.bisect_right(fractals.at, index - FRACTAL_SIDE)
    candidates = fractals.price[first:stop]
    if pivots is not None:
        candidates = candidates + [getattr(pivots, name) for name in PIVOT_NAMES]
    below = sorted({x for x in candidates if x < close}, reverse=True)[:MAX_LEVELS]
    above = sorted({x for x in candidates if x > close})[:MAX_LEVELS]
    return below, above
