"""Window statistics for many bars at once: bar i's window is [starts[i], i]."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def rolling_mean(values: NDArray[Any], counts: NDArray[Any], bars: int) -> NDArray[Any]:
    """Mean of the last `bars` values at every bar; NaN where the window holds fewer."""
    out = np.full(len(values), np.nan)
    if len(values) >= bars:
        out[bars - 1:] = np.lib.stride_tricks.sliding_window_view(values, bars).mean(axis=1)
    out[counts < bars] = np.nan
    return out


class WindowExtremes:
    """Exact max (or min) of values[starts[i]..i] for any set of bars, from a sparse table
    (log2(lookback) levels of pairwise maxima)."""

    def __init__(self, values: NDArray[Any], longest: int, reduce: np.ufunc = np.maximum) -> None:
        self._reduce = reduce
        self._levels = [values]
        width = 1
        while width * 2 <= max(longest, 1):
            previous = self._levels[-1]
            self._levels.append(reduce(previous[:-width], previous[width:]) if len(previous) > width else previous[:0])
            width *= 2

    def query(self, starts: NDArray[Any], ends: NDArray[Any]) -> NDArray[Any]:
        """Extreme of values[starts[k]..ends[k]] (inclusive) for every k."""
        lengths = ends - starts + 1
        level = np.floor(np.log2(lengths)).astype(np.int64)
        out = np.empty(len(starts))
        for k in np.unique(level):
            pick = level == k
            table = self._levels[k]
            out[pick] = self._reduce(table[starts[pick]], table[ends[pick] - (1 << k) + 1])
        return out
