"""The backtest's snapshots: the candles the venue replays, analysed once up front, plus the venue's
own current market state (ticker, book, funding, open interest, forming bar).

Closed bars come from the venue's aggregated series (exactly the bars its REST `candles` serves),
so the indicators equal those a live-style pipeline computes from the simulator over HTTP, without
a REST round-trip and a fresh indicator pass per cycle. Everything is "as of `at`": closed bars
opened at or before `at − timeframe` and state the venue holds at its clock, which a backtest
moves to `at` before the cycle runs (no look-ahead: the precomputed indicators of bar i only read
bars ≤ i, see market/indicators.py).

Below them, snapshots over a history held wholly in memory (tests, benchmarks): one builder, two
speeds. `precomputed_builder` prepares the bounded-memory indicators once per timeframe and analyses
each bar's window once; `memory_builder` builds every snapshot from scratch like the live path.
Both return snapshots equal to a live one over the same data (the tests check it). Higher
timeframes are aggregated exactly from the base frame (15m → 1H, 4H); the ticker is the last base
close."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from trading_bot.domain.market import SNAPSHOT_TIMEFRAMES, Candle, FundingRate, MarkPrice, OpenInterest, OrderBook, Ticker
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.market.aggregate import aggregate_frame
from trading_bot.market.exchange_source import NO_OI_SAMPLE, OI_SAMPLE_AGE, ExchangeSource
from trading_bot.market.frame import CandleFrame
from trading_bot.market.indicators import DEFAULT_LOOKBACK
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.market.sources import FrameBars, MarketState, MemorySource
from trading_bot.market.unavailable import Unavailable
from trading_bot.market.views import PrecomputedViews

MARGIN_BARS = 10  # beyond the window: a fractal needs two bars either side


def venue_frames(exchange: InProcessExchange, inst_id: str, start: datetime | None = None,
                 end: datetime | None = None, lookback: int = 200,
                 timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES) -> dict[str, CandleFrame]:
    """The complete bars of each timeframe the venue serves for `inst_id` (base-currency volume).
    With `start`/`end`: only the bars a snapshot in [start, end] can read — each bar's indicators
    depend on its own window of `lookback` bars alone — so a short backtest of a long file does not
    analyse years it never reaches (a test checks the snapshots are equal)."""
    data = exchange.venue.data(inst_id)
    frames = {}
    for timeframe in timeframes:
        agg = data.agg.complete(timeframe)
        frame = CandleFrame.from_arrays(timeframe, agg.ts, agg.o, agg.h, agg.l, agg.c, agg.v)
        first = 0 if start is None else max(0, frame.closed_count(start) - lookback - MARGIN_BARS)
        stop = len(frame) if end is None else frame.closed_count(end)
        frames[timeframe] = frame.slice(first, stop) if (first, stop) != (0, len(frame)) else frame
    return frames


class BacktestSource(FrameBars):
    """Closed candles from precomputed frames; the rest from the in-process venue at its clock."""

    def __init__(self, inst_id: str, frames: dict[str, CandleFrame], exchange: InProcessExchange) -> None:
        self.inst_id = inst_id
        self.frames = frames
        self._venue = ExchangeSource(inst_id, exchange)
        self._exchange = exchange

    def _check(self, at: datetime) -> None:
        if self._exchange.server_time() != at:  # the venue must stand at `at`, or state would leak
            raise ValueError(f"the venue is at {self._exchange.server_time().isoformat()}, "
                             f"not at the snapshot time {at.isoformat()}")

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None:
        self._check(at)  # the venue's forming bar is the one holding `at`
        return self._exchange.forming_candle(self.inst_id, timeframe)

    def ticker(self, at: datetime) -> Ticker | Unavailable:
        self._check(at)
        return self._venue.ticker(at)

    def book(self, at: datetime) -> OrderBook | Unavailable:
        return self._venue.book(at)

    def funding(self, at: datetime) -> FundingRate | Unavailable:
        return self._venue.funding(at)

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable:
        return self._venue.mark_price(at)

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        now = self._exchange.server_time()
        if not now <= at <= now + OI_SAMPLE_AGE:  # ExchangeSource's answer for a time the venue is not at
            return Unavailable(NO_OI_SAMPLE)
        return self._venue.open_interest(at)


def backtest_snapshots(exchange: InProcessExchange, inst_id: str, lookback: int, start: datetime | None = None,
                       end: datetime | None = None) -> Callable[[str, datetime], MarketSnapshot]:
    """The pipeline's snapshot port for one instrument of a backtest over [start, end]."""
    source = BacktestSource(inst_id, venue_frames(exchange, inst_id, start, end, lookback), exchange)
    builder = SnapshotBuilder(source, lookback, views=PrecomputedViews(source, source.frames, lookback))

    def build(wanted: str, at: datetime) -> MarketSnapshot:
        if wanted != inst_id:
            raise ValueError(f"this backtest replays {inst_id}, not {wanted}")
        return builder.build(at)

    return build


# --- a history wholly in memory (tests, benchmarks) -----------------------------------------------
def frames_from_base(base: CandleFrame, timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES) -> dict[str, CandleFrame]:
    return {tf: base if tf == base.timeframe else aggregate_frame(base, tf) for tf in timeframes}


def memory_source(inst_id: str, base: CandleFrame, state: MarketState | None = None,
                  timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES) -> MemorySource:
    return MemorySource(inst_id, frames_from_base(base, timeframes), state, ticker_timeframe=base.timeframe)


def memory_builder(inst_id: str, base: CandleFrame, state: MarketState | None = None,
                   lookback: int = DEFAULT_LOOKBACK,
                   timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES) -> SnapshotBuilder:
    return SnapshotBuilder(memory_source(inst_id, base, state, timeframes), lookback, timeframes)


def precomputed_builder(inst_id: str, base: CandleFrame, state: MarketState | None = None,
                        lookback: int = DEFAULT_LOOKBACK, timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES,
                        workers: int = 1) -> SnapshotBuilder:
    """`workers` > 1 splits the preparation over processes (see market/window_pass.py)."""
    source = memory_source(inst_id, base, state, timeframes)
    views = PrecomputedViews(source, source.frames, lookback, workers)
    return SnapshotBuilder(source, lookback, timeframes, views=views)
