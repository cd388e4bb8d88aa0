"""Every numeric indicator value of chosen bars of a frame, each over that bar's own window.

Bar i's window is [starts[i], i]: the last `lookback` bars up to it without a gap. Bounded-memory
indicators (VWAP, Ichimoku, pivots, fractals, volume mean) are series over the whole frame; the
recursive TA-Lib ones are computed window by window (their value depends on where the window
starts); volume profiles are computed for all requested windows at once. A backtest requests every
bar of its history once; the live path requests the last bar of one window. Same code, same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from trading_bot.clock import from_ms
from trading_bot.domain.snapshot import PivotLevels
from trading_bot.market import overlays, ta_engine
from trading_bot.market.frame import CandleFrame, window_starts
from trading_bot.market.levels import NO_PREVIOUS_DAY, PIVOT_NAMES, Fractals, find_fractals, pivot_series
from trading_bot.market.rolling import rolling_mean
from trading_bot.market.unavailable import Unavailable
from trading_bot.market.volume_profile import Profiles, profiles

VOLUME_MEAN_BARS = 20

TA_COLUMNS = (*ta_engine.OUTPUTS, *ta_engine.EXTRAS)


@dataclass(frozen=True, slots=True)
class FrameSeries:
    frame: CandleFrame
    lookback: int
    starts: np.ndarray  # first bar of each bar's window
    vwap: np.ndarray
    vwap_status: np.ndarray
    bounded: dict[str, np.ndarray]  # volume_mean_20 and the Ichimoku lines
    pivots: np.ndarray  # rows in PIVOT_NAMES order
    fractals: Fractals
    ta: np.ndarray  # bars × TA_COLUMNS, NaN for bars not requested
    profile_at: dict[int, int]  # bar -> row of `profile`
    profile: Profiles
    _pivot_cache: dict[tuple[float, ...], PivotLevels] = field(default_factory=dict)

    @classmethod
    def compute(cls, frame: CandleFrame, lookback: int, indices: np.ndarray | None = None) -> FrameSeries:
        """Series of `frame`; the per-window values only for `indices` (default: every bar)."""
        n = len(frame)
        wanted = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
        starts = window_starts(frame, lookback)
        counts = np.arange(n) - starts + 1
        vwap, status = overlays.vwap_series(frame, starts)
        bounded = {"volume_mean_20": rolling_mean(frame.volume, counts, VOLUME_MEAN_BARS)}
        bounded.update(overlays.ichimoku_series(frame, counts))
        typical = (frame.high + frame.low + frame.close) / 3.0
        return cls(
            frame=frame, lookback=lookback, starts=starts, vwap=vwap, vwap_status=status, bounded=bounded,
            pivots=pivot_series(frame, starts), fractals=find_fractals(frame),
            ta=_ta_pass(frame, starts, wanted),
            profile_at={int(i): row for row, i in enumerate(wanted)},
            profile=profiles(frame.high, frame.low, typical, frame.volume, starts, wanted, lookback),
        )

    def count(self, index: int) -> int:
        return index - int(self.starts[index]) + 1

    def gap_before(self, index: int) -> datetime | None:
        """Open time of the window's first bar when a gap (not the lookback) cut the window short."""
        start = int(self.starts[index])
        if start > 0 and self.frame.ts[start] - self.frame.ts[start - 1] != self.frame.step_ms:
            return from_ms(int(self.frame.ts[start]))
        return None

    def pivot_levels(self, index: int) -> PivotLevels | Unavailable:
        row = self.pivots[:, index]
        if math.isnan(row[0]):
            return Unavailable(NO_PREVIOUS_DAY)
        key = tuple(row.tolist())
        levels = self._pivot_cache.get(key)  # the same levels serve every bar of a day
        if levels is None:
            levels = self._pivot_cache[key] = PivotLevels.model_validate(dict(zip(PIVOT_NAMES, key, strict=True)))
        return levels


def _ta_pass(frame: CandleFrame, starts: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    out = np.full((len(frame), len(TA_COLUMNS)), np.nan)
    if not len(wanted):
        return out
    high, low, close, volume = frame.high, frame.low, frame.close, frame.volume
    window_values = ta_engine.window_values
    rows = [window_values(high[s:i + 1], low[s:i + 1], close[s:i + 1], volume[s:i + 1])
            for s, i in zip(starts[wanted].tolist(), wanted.tolist(), strict=True)]
    out[wanted] = rows
    return out
