"""CandleFrame: closed OHLCV bars of one timeframe as float arrays, the form every indicator reads.

Bars are ordered by open time (`ts`, Unix ms). Volume is in base currency (OKX `volCcy`, BTC for
BTC-USDT-SWAP): the unit of the shared data files and independent of the contract size. A frame
holds closed bars only; the forming bar travels separately and never reaches an indicator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.clock import from_ms, to_ms
from trading_bot.domain.market import TIMEFRAME_SECONDS, Candle
from trading_bot.domain.ohlc import first_bad_bar, float_bar_problem

COLUMNS = ("open", "high", "low", "close", "volume")


def timeframe_ms(timeframe: str) -> int:
    try:
        return TIMEFRAME_SECONDS[timeframe] * 1000
    except KeyError:
        raise ValueError(f"unknown timeframe {timeframe!r}; expected one of {', '.join(TIMEFRAME_SECONDS)}") from None


@dataclass(frozen=True, slots=True, eq=False)
class CandleFrame:
    timeframe: str
    ts: NDArray[np.int64]  # int64, bar open time in ms, strictly ascending
    open: NDArray[np.float64]  # float64 ...
    high: NDArray[np.float64]
    low: NDArray[np.float64]
    close: NDArray[np.float64]
    volume: NDArray[np.float64]
    step_ms: int = field(init=False)  # the timeframe in ms

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_ms", timeframe_ms(self.timeframe))

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def empty(cls, timeframe: str) -> CandleFrame:
        return cls.from_arrays(timeframe, np.empty(0, np.int64), *(np.empty(0) for _ in COLUMNS))

    @classmethod
    def from_arrays(
        cls, timeframe: str, ts: Sequence[int] | NDArray[Any], *columns: Sequence[float] | NDArray[Any]
    ) -> CandleFrame:
        """`columns` in the order open, high, low, close, volume; checked once here against the
        candle rule (domain/ohlc.py; slices of a checked frame are not checked again)."""
        stamps = np.ascontiguousarray(ts, dtype=np.int64)
        floats = [np.ascontiguousarray(col, dtype=np.float64) for col in columns]
        timeframe_ms(timeframe)
        if len(floats) != len(COLUMNS) or any(len(col) != len(stamps) for col in floats):
            raise ValueError("a CandleFrame needs open, high, low, close and volume columns as long as ts")
        if len(stamps) > 1 and not bool(np.all(np.diff(stamps) > 0)):
            raise ValueError("CandleFrame timestamps must be strictly ascending")
        bad = first_bad_bar(*floats)
        if bad is not None:
            problem = float_bar_problem(*(col[bad] for col in floats[:4]), volume=floats[4][bad])
            raise ValueError(f"CandleFrame bar {from_ms(int(stamps[bad])):%Y-%m-%d %H:%M}Z: {problem}")
        return cls(timeframe, stamps, *floats)

    @classmethod
    def from_candles(cls, candles: Sequence[Candle], timeframe: str) -> CandleFrame:
        """Closed bars only are expected; volume is taken from `volume_ccy` (base currency)."""
        return cls.from_arrays(
            timeframe,
            [to_ms(c.ts) for c in candles],
            [float(c.open) for c in candles],
            [float(c.high) for c in candles],
            [float(c.low) for c in candles],
            [float(c.close) for c in candles],
            [float(c.volume_ccy) for c in candles],
        )

    def slice(self, start: int, stop: int) -> CandleFrame:
        """Bars [start, stop) as views (no copy)."""
        return CandleFrame(self.timeframe, *(getattr(self, name)[start:stop] for name in ("ts", *COLUMNS)))

    def closed_count(self, at: datetime) -> int:
        """How many leading bars have closed by `at` (open time + timeframe ≤ at)."""
        return self.closed_count_ms(epoch_ms(at))

    def closed_count_ms(self, at_ms: int) -> int:
        return int(self.ts.searchsorted(at_ms - self.step_ms, side="right"))

    def last_close_ms(self) -> int:
        return int(self.ts[-1]) + self.step_ms

    def open_time(self, index: int) -> datetime:
        return from_ms(int(self.ts[index]))

    def close_time(self, index: int) -> datetime:
        return from_ms(int(self.ts[index]) + self.step_ms)


@lru_cache(maxsize=64)
def epoch_ms(at: datetime) -> int:
    """Unix ms of an aware time (cached: a snapshot asks for the same `at` for every timeframe)."""
    return to_ms(at)


def window_starts(frame: CandleFrame, lookback: int) -> NDArray[np.int64]:
    """For every bar, the index of the first bar of its window: the last `lookback` bars up to it
    that follow each other without a gap."""
    starts: NDArray[np.int64] = np.maximum(np.arange(len(frame), dtype=np.int64) - (lookback - 1),
                                           run_starts(frame.ts, frame.step_ms))
    return starts


def run_starts(ts: NDArray[np.int64], step_ms: int) -> NDArray[np.int64]:
    """For every bar, the index of the first bar of its run of consecutive bars (no gap)."""
    n = len(ts)
    starts = np.zeros(n, dtype=np.int64)
    if n > 1:
        breaks = np.flatnonzero(np.diff(ts) != step_ms) + 1
        starts[breaks] = breaks
        np.maximum.accumulate(starts, out=starts)
    return starts


@dataclass(frozen=True, slots=True)
class Window:
    """The bars an indicator set is computed over: the last `lookback` consecutive closed bars.

    `gap_before` is the open time of the first bar after a gap when the run of consecutive bars
    is shorter than the lookback (so a missing value can say why)."""

    frame: CandleFrame
    gap_before: datetime | None = None


def tail_window(frame: CandleFrame, lookback: int) -> Window:
    """The last `lookback` bars of `frame` that follow each other without a gap."""
    n = len(frame)
    if n == 0:
        return Window(frame)
    start = max(0, n - lookback)
    gaps = np.flatnonzero(np.diff(frame.ts[start:]) != frame.step_ms)
    if len(gaps) == 0:
        return Window(frame.slice(start, n))
    first = start + int(gaps[-1]) + 1
    return Window(frame.slice(first, n), gap_before=frame.open_time(first))
