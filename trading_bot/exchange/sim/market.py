"""Market data at the market clock: prices between ticks, candles of any timeframe, 24 h statistics.

`InstrumentData` wraps one instrument's bars (replayed file or synthetic), its tick path and its
funding schedule. `SimMarket` builds them from data files or from the seeded generator and extends
the synthetic market as the clock runs. Nothing here looks past `now_ms`: the bar containing `now`
is built only from the ticks already passed (confirm "0"), every earlier bar is served confirmed.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from trading_bot.exchange.sim import files
from trading_bot.exchange.sim.funding import FundingSchedule
from trading_bot.exchange.sim.instruments import INSTRUMENTS, SimInstrument
from trading_bot.exchange.sim.series import (
    BAR_SPECS,
    TICKS_PER_BAR,
    Aggregator,
    Array,
    Bars,
    bucket_start,
    merge_resolutions,
    tick_path,
)
from trading_bot.exchange.sim.synthetic import DAY_MINUTES, MINUTE_MS, SyntheticMarket

DAY_MS = 86_400_000
HISTORY_FOR_DEFAULT_START_MS = 35 * DAY_MS  # 200 bars of 4H before the default replay start


@dataclass(frozen=True)
class CandleRow:
    ts: int
    o: float
    h: float
    l: float  # noqa: E741
    c: float
    vol_ccy: float  # base currency
    confirmed: bool


@dataclass(frozen=True)
class DayStats:
    open24h: float
    high24h: float
    low24h: float
    vol_ccy24h: float
    sod_utc0: float
    sod_utc8: float


class InstrumentData:
    def __init__(self, inst: SimInstrument, bars: Bars, funding: files.FundingFile | None = None) -> None:
        self.inst = inst
        self.agg = Aggregator(bars)
        self.set_bars(bars)
        self.funding = FundingSchedule(inst.inst_id, self.price_at, funding)

    def set_bars(self, bars: Bars) -> None:
        self.bars = bars
        self.tick_ts, self.tick_px = tick_path(bars)
        # plain lists for the per-tick loop: indexing them is several times faster than numpy scalars
        self.ts_list: list[int] = self.tick_ts.tolist()
        self.px_list: list[float] = self.tick_px.tolist()
        self.agg.reset(bars)

    def shifted(self, from_ms: int, factor: float) -> Bars:
        """The bars with every price from the first bar opening after `from_ms` on scaled by
        `factor` (a level shift: the price jumps between two bars and goes on from there)."""
        bars = self.bars
        first = int(np.searchsorted(bars.ts, from_ms, side="right"))
        tick = self.inst.tick
        def scale(a: Array) -> Array:
            scaled: Array = np.r_[a[:first], np.maximum(np.round(a[first:] * factor / tick) * tick, tick)]
            return scaled

        return Bars(bars.ts, bars.dur, scale(bars.o), scale(bars.h), scale(bars.l), scale(bars.c), bars.v)

    @property
    def start_ms(self) -> int:
        return self.bars.start_ms

    @property
    def end_ms(self) -> int:
        return self.bars.end_ms

    def round(self, price: float) -> float:
        tick = self.inst.tick
        return round(round(price / tick) * tick, self.inst.price_digits)

    def tick_index(self, ms: int) -> int:
        """Index of the last tick at or before `ms` (-1 before the data)."""
        return bisect_right(self.ts_list, ms) - 1

    def price_at(self, ms: int) -> float:
        """The traded price at `ms`: linear between ticks, rounded to the tick size."""
        k = bisect_right(self.ts_list, ms) - 1
        if k < 0:
            return self.px_list[0]
        if k >= len(self.ts_list) - 1:
            return self.px_list[-1]
        t0, t1 = self.ts_list[k], self.ts_list[k + 1]
        p0, p1 = self.px_list[k], self.px_list[k + 1]
        if ms == t0 or p0 == p1:
            return p0
        return self.round(p0 + (p1 - p0) * (ms - t0) / (t1 - t0))

    def _forming_base(self, now_ms: int, price: float) -> tuple[int, CandleRow] | None:
        """(bar index, partial bar) of the base bar containing `now_ms`, from the ticks passed."""
        k = self.tick_index(now_ms)
        if k < 0 or now_ms >= self.end_ms:
            return None
        b = k // TICKS_PER_BAR
        seen = self.tick_px[b * TICKS_PER_BAR:k + 1]
        fraction = (now_ms - self.bars.ts[b]) / self.bars.dur[b]
        row = CandleRow(int(self.bars.ts[b]), float(self.bars.o[b]), max(float(seen.max()), price),
                        min(float(seen.min()), price), price, float(self.bars.v[b]) * fraction, False)
        return b, row

    def forming(self, bar: str, now_ms: int, price: float) -> CandleRow | None:
        size = BAR_SPECS[bar][0]
        base = self._forming_base(now_ms, price)
        if base is None or self.bars.dur[base[0]] > size:
            return None
        b, part = base
        first = bucket_start(now_ms, bar)
        i = int(np.searchsorted(self.bars.ts, first, side="left"))
        if i == b:
            return CandleRow(first, part.o, part.h, part.l, part.c, part.vol_ccy, False)
        if self.bars.ts[i] != first:
            return None  # the data starts inside this bucket
        return CandleRow(first, float(self.bars.o[i]), max(float(self.bars.h[i:b].max()), part.h),
                         min(float(self.bars.l[i:b].min()), part.l), part.c,
                         float(self.bars.v[i:b].sum()) + part.vol_ccy, False)

    def candles(self, bar: str, now_ms: int, price: float, after: int | None = None,
                before: int | None = None, limit: int = 100, confirmed_only: bool = False) -> list[CandleRow]:
        """Newest first: the forming bar (unless `confirmed_only`), then closed bars before it."""
        size = BAR_SPECS[bar][0]
        agg = self.agg.complete(bar)
        hi = int(np.searchsorted(agg.ts, now_ms - size, side="right"))
        if after is not None:
            hi = min(hi, int(np.searchsorted(agg.ts, after, side="left")))
        lo = int(np.searchsorted(agg.ts, before, side="right")) if before is not None else 0
        rows: list[CandleRow] = []
        forming = None if confirmed_only else self.forming(bar, now_ms, price)
        if forming is not None and (after is None or forming.ts < after) and (before is None or forming.ts > before):
            rows.append(forming)
        for j in range(hi - 1, max(lo, hi - (limit - len(rows))) - 1, -1):
            rows.append(CandleRow(int(agg.ts[j]), float(agg.o[j]), float(agg.h[j]), float(agg.l[j]),
                                  float(agg.c[j]), float(agg.v[j]), True))
        return rows[:limit]

    def day_stats(self, now_ms: int, price: float) -> DayStats:
        since = now_ms - DAY_MS
        i = int(np.searchsorted(self.bars.ts, since, side="left"))
        base = self._forming_base(now_ms, price)
        j = base[0] if base else int(np.searchsorted(self.bars.ts, now_ms, side="right"))
        high = float(self.bars.h[i:j].max()) if j > i else price
        low = float(self.bars.l[i:j].min()) if j > i else price
        vol = float(self.bars.v[i:j].sum())
        if base:
            high, low, vol = max(high, base[1].h), min(low, base[1].l), vol + base[1].vol_ccy
        day0 = now_ms // DAY_MS * DAY_MS
        day8 = (now_ms + 8 * 3_600_000) // DAY_MS * DAY_MS - 8 * 3_600_000
        return DayStats(self.price_at(since), high, low, vol, self.price_at(day0), self.price_at(day8))


class SimMarket:
    """All instruments' data; synthetic markets grow a day at a time as the clock advances."""

    def __init__(self, data: dict[str, InstrumentData], synthetic: SyntheticMarket | None = None) -> None:
        self.data = data
        self.synthetic = synthetic

    @classmethod
    def from_files(cls, specs: list[str]) -> SimMarket:
        candles: dict[str, list[Bars]] = {}
        funding: dict[str, files.FundingFile] = {}
        for spec in specs:
            loaded = files.load(spec)
            if loaded.inst_id not in INSTRUMENTS:
                raise files.DataFileError(f"{loaded.path}: unknown instrument {loaded.inst_id} "
                                          f"(the simulator lists {', '.join(INSTRUMENTS)})")
            if isinstance(loaded, files.FundingFile):
                funding[loaded.inst_id] = loaded
            else:
                candles.setdefault(loaded.inst_id, []).append(loaded.bars)
        if not candles:
            raise files.DataFileError("no candle file among the data files (only funding rates)")
        return cls({inst: InstrumentData(INSTRUMENTS[inst], merge_resolutions(series), funding.get(inst))
                    for inst, series in candles.items()})

    @classmethod
    def synthetic_from(cls, seed: int, start_ms: int, instruments: list[str] | None = None) -> SimMarket:
        insts = [INSTRUMENTS[i] for i in (instruments or list(INSTRUMENTS))]
        gen = SyntheticMarket.starting_at(seed, insts, start_ms)
        return cls({i.inst_id: InstrumentData(i, gen.bars[i.inst_id]) for i in insts}, gen)

    def default_start(self) -> int:
        """Replay start when none is given: the finest data's start, with 35 days of history before it."""
        first = min(d.start_ms for d in self.data.values())
        last = min(d.end_ms for d in self.data.values())
        finest = min(self.data.values(), key=lambda d: int(np.min(d.bars.dur)))
        fine_start = int(finest.bars.ts[np.argmin(finest.bars.dur)])
        start = max(first + HISTORY_FOR_DEFAULT_START_MS, fine_start)
        if start >= last - DAY_MS:
            start = first + (last - first) // 2
        return start // MINUTE_MS * MINUTE_MS

    @property
    def end_ms(self) -> int:
        """End of replayable data (synthetic markets have none: they grow)."""
        if self.synthetic is not None:
            return 2**62
        return min(d.end_ms for d in self.data.values())

    def shock(self, inst_id: str, from_ms: int, pct: float) -> None:
        """A flash move for fault tests: the price of `inst_id` jumps by `pct` % at the next bar and
        stays there (a synthetic market also generates on from the new level)."""
        if inst_id not in self.data:
            raise KeyError(f"unknown instrument {inst_id!r}")
        item = self.data[inst_id]
        shifted = item.shifted(from_ms, 1 + pct / 100)
        item.set_bars(shifted)
        if self.synthetic is not None:
            self.synthetic.bars[inst_id] = shifted
            self.synthetic.shift_level(inst_id, 1 + pct / 100)

    def ensure(self, until_ms: int) -> None:
        if self.synthetic is not None and self.synthetic.extend_to(until_ms + DAY_MINUTES * MINUTE_MS):
            for inst_id, item in self.data.items():
                item.set_bars(self.synthetic.bars[inst_id])
