"""Every numeric indicator value of chosen bars of a frame, each over that bar's own window.

Bar i's window is [starts[i], i]: the last `lookback` bars up to it without a gap. Bounded-memory
indicators (VWAP, Ichimoku, pivots, fractals, volume mean) are series over the whole frame; the
recursive TA-Lib ones are computed window by window (their value depends on where the window
starts); volume profiles are computed for all requested windows at once. A backtest requests every
bar of its history once; the live path requests the last bar of one window. Same code, same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.clock import from_ms
from trading_bot.domain.snapshot import PivotLevels
from trading_bot.market import overlays, signals, ta_engine
from trading_bot.market.frame import CandleFrame, window_starts
from trading_bot.market.levels import (
    NO_PREVIOUS_DAY,
    PIVOT_NAMES,
    Fractals,
    find_fractals,
    pivot_series,
)
from trading_bot.market.rolling import rolling_mean
from trading_bot.market.unavailable import Unavailable
from trading_bot.market.volume_profile import Profiles
from trading_bot.market.window_pass import TA_COLUMNS, window_pass

VOLUME_MEAN_BARS = 20

# The numeric fields of an IndicatorSet, in the column order of FrameSeries.numbers, then the regime inputs.
NUMBER_FIELDS = ("close", "volume", *ta_engine.OUTPUTS, "volume_mean_20", *overlays.ICHIMOKU_BARS_NEEDED,
                 "vwap", "bb_position", "atr_pct")
REGIME_COLUMNS = ("ema20_slope", "atr_ratio")
COLUMNS = (*NUMBER_FIELDS, *REGIME_COLUMNS)
LABELS = {"rsi_zone": signals.RSI_ZONES, "ema_alignment": signals.ALIGNMENTS, "macd_cross": signals.MACD_CROSSES}


@dataclass(frozen=True, slots=True)
class FrameSeries:
    frame: CandleFrame
    lookback: int
    starts: NDArray[Any]  # first bar of each bar's window
    numbers: NDArray[Any]  # bars × COLUMNS (NaN: not computable, or a bar not requested)
    labels: dict[str, NDArray[Any]]  # label field -> codes into LABELS[field] (0: not computable)
    vwap_status: NDArray[Any]
    pivots: NDArray[Any]  # rows in PIVOT_NAMES order
    fractals: Fractals
    profile: Profiles  # aligned with the frame's bars
    _pivot_cache: dict[tuple[float, ...], PivotLevels] = field(default_factory=dict)

    @classmethod
    def compute(cls, frame: CandleFrame, lookback: int, indices: NDArray[np.int64] | Sequence[int] | None = None,
                workers: int = 1) -> FrameSeries:
        """Series of `frame`; the per-window values only for `indices` (default: every bar), split over
        `workers` processes for long histories (market/window_pass.py)."""
        n = len(frame)
        wanted = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64)
        starts = window_starts(frame, lookback)
        counts = np.arange(n) - starts + 1
        per_window = window_pass(frame, starts, wanted, lookback, workers)
        ta = dict(zip(TA_COLUMNS, per_window.ta.T, strict=True))
        vwap, status = overlays.vwap_series(frame, starts)
        columns = {"close": frame.close, "volume": frame.volume, **ta,
                   "volume_mean_20": rolling_mean(frame.volume, counts, VOLUME_MEAN_BARS),
                   **overlays.ichimoku_series(frame, counts), "vwap": vwap,
                   "bb_position": signals.bb_position(frame.close, ta["bb_lower"], ta["bb_upper"]),
                   "atr_pct": signals.atr_pct(ta["atr"], frame.close),
                   "ema20_slope": signals.ema_slope(ta["ema20"], ta["ema20_before"], ta_engine.EMA_SLOPE_BARS),
                   "atr_ratio": signals.atr_ratio(ta["atr"], ta["atr_mean"])}
        labels = {"rsi_zone": signals.rsi_zone(ta["rsi"]),
                  "ema_alignment": signals.ema_alignment(ta["ema20"], ta["ema50"], ta["ema200"]),
                  "macd_cross": signals.macd_cross(ta["prev_macd"], ta["prev_macd_signal"], ta["macd"],
                                                   ta["macd_signal"])}
        return cls(
            frame=frame, lookback=lookback, starts=starts,
            numbers=np.ascontiguousarray(np.column_stack([columns[name] for name in COLUMNS]) if n else
                                         np.empty((0, len(COLUMNS)))),
            labels=labels, vwap_status=status, pivots=pivot_series(frame, starts), fractals=find_fractals(frame),
            profile=per_window.profile,
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
