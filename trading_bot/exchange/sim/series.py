"""OHLCV bars as numpy arrays, their intra-bar tick paths, and exact aggregation to higher timeframes.

Each bar becomes four ticks: the open at the bar's start, the extreme nearer to the open at 30 %
of the bar, the other extreme at 70 %, the close just before the bar ends. So a bar whose high is
closer to its open walks open→high→low→close, otherwise open→low→high→close; triggers see both
extremes in a plausible order. Prices are floats here (they are exact tick multiples as parsed);
the engine turns the few it trades at into Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

TICKS_PER_BAR = 4
HOUR_MS = 3_600_000
# bar name → (milliseconds, alignment offset): 6H and longer align to UTC+8 unless suffixed `utc`
BAR_SPECS: dict[str, tuple[int, int]] = {
    "1m": (60_000, 0), "3m": (180_000, 0), "5m": (300_000, 0), "15m": (900_000, 0), "30m": (1_800_000, 0),
    "1H": (HOUR_MS, 0), "2H": (2 * HOUR_MS, 0), "4H": (4 * HOUR_MS, 0),
    "6H": (6 * HOUR_MS, 8 * HOUR_MS), "12H": (12 * HOUR_MS, 8 * HOUR_MS), "1D": (24 * HOUR_MS, 8 * HOUR_MS),
    "6Hutc": (6 * HOUR_MS, 0), "12Hutc": (12 * HOUR_MS, 0), "1Dutc": (24 * HOUR_MS, 0),
}


# a column of bars: int64 times and durations, float64 prices and volumes
Array = NDArray[Any]


@dataclass
class Bars:
    """Bars sorted by open time; `dur` is each bar's length in ms; `v` is base-currency volume."""

    ts: Array
    dur: Array
    o: Array
    h: Array
    l: Array  # noqa: E741
    c: Array
    v: Array

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls) -> Bars:
        z = np.zeros(0)
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), z, z, z, z, z)

    @classmethod
    def from_columns(cls, ts: ArrayLike, dur: ArrayLike, o: ArrayLike, h: ArrayLike, l: ArrayLike,  # noqa: E741
                     c: ArrayLike, v: ArrayLike) -> Bars:
        def as_f(a: ArrayLike) -> Array:
            return np.ascontiguousarray(a, dtype=np.float64)

        times = np.ascontiguousarray(ts, dtype=np.int64)
        lengths = np.broadcast_to(np.asarray(dur, dtype=np.int64), times.shape).copy()
        return cls(times, lengths, as_f(o), as_f(h), as_f(l), as_f(c), as_f(v))

    @property
    def start_ms(self) -> int:
        return int(self.ts[0])

    @property
    def end_ms(self) -> int:
        """End of the last bar (exclusive)."""
        return int(self.ts[-1] + self.dur[-1])

    def take(self, index: Array | slice) -> Bars:
        return Bars(self.ts[index], self.dur[index], self.o[index], self.h[index], self.l[index],
                    self.c[index], self.v[index])

    def concat(self, other: Bars) -> Bars:
        cat = np.concatenate
        return Bars(cat([self.ts, other.ts]), cat([self.dur, other.dur]), cat([self.o, other.o]),
                    cat([self.h, other.h]), cat([self.l, other.l]), cat([self.c, other.c]), cat([self.v, other.v]))


def merge_resolutions(series: list[Bars]) -> Bars:
    """One series from several files: the finest bars win where they exist, coarser bars fill the rest."""
    ordered = sorted((s for s in series if len(s)), key=lambda s: int(np.median(s.dur)))
    if not ordered:
        return Bars.empty()
    merged = ordered[0]
    for coarse in ordered[1:]:
        keep = (coarse.ts + coarse.dur <= merged.start_ms) | (coarse.ts >= merged.end_ms)
        both = merged.concat(coarse.take(keep))
        merged = both.take(np.argsort(both.ts, kind="stable"))
    return merged


def tick_path(bars: Bars) -> tuple[Array, Array]:
    """Four (time, price) ticks per bar: open, nearer extreme, farther extreme, close."""
    high_first = (bars.h - bars.o) <= (bars.o - bars.l)
    first = np.where(high_first, bars.h, bars.l)
    second = np.where(high_first, bars.l, bars.h)
    dur = bars.dur
    times = np.stack([bars.ts, bars.ts + dur * 3 // 10, bars.ts + dur * 7 // 10, bars.ts + dur - 1], axis=1)
    prices = np.stack([bars.o, first, second, bars.c], axis=1)
    return times.reshape(-1), prices.reshape(-1)


@dataclass
class Aggregated:
    ts: Array
    o: Array
    h: Array
    l: Array  # noqa: E741
    c: Array
    v: Array


@dataclass
class Aggregator:
    """Complete higher-timeframe buckets built exactly from base bars (cached per bar name)."""

    bars: Bars
    _cache: dict[str, Aggregated] = field(default_factory=dict)

    def reset(self, bars: Bars) -> None:
        self.bars = bars
        self._cache.clear()

    def complete(self, bar: str) -> Aggregated:
        if bar not in self._cache:
            self._cache[bar] = _aggregate(self.bars, *BAR_SPECS[bar])
        return self._cache[bar]


def bucket_start(ts_ms: int, bar: str) -> int:
    size, offset = BAR_SPECS[bar]
    return (ts_ms + offset) // size * size - offset


def _aggregate(bars: Bars, size: int, offset: int) -> Aggregated:
    if not len(bars):
        z = np.zeros(0)
        return Aggregated(np.zeros(0, np.int64), z, z, z, z, z)
    bucket = (bars.ts + offset) // size * size - offset
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(bars)] - 1
    # a bucket is complete when its bars cover it exactly (no gap, no bar longer than the bucket)
    ok = (np.add.reduceat(bars.dur, starts) == size) & (np.maximum.reduceat(bars.dur, starts) <= size)
    h = np.maximum.reduceat(bars.h, starts)[ok]
    low = np.minimum.reduceat(bars.l, starts)[ok]
    v = np.add.reduceat(bars.v, starts)[ok]
    return Aggregated(bucket[starts][ok], bars.o[starts][ok], h, low, bars.c[ends][ok], v)
