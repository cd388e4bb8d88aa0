"""Snapshots over a history held in memory, for backtests: one builder, two speeds.

`precomputed_builder` prepares the bounded-memory indicators once per timeframe and analyses each
bar's window once; `memory_builder` builds every snapshot from scratch like the live path. Both
return snapshots equal to a live one over the same data (the tests check it). Higher timeframes
are aggregated exactly from the base frame (15m → 1H, 4H); the ticker is the last base close.
"""

from __future__ import annotations

from collections.abc import Sequence

from trading_bot.domain.market import SNAPSHOT_TIMEFRAMES
from trading_bot.market.aggregate import aggregate_frame
from trading_bot.market.frame import CandleFrame
from trading_bot.market.indicators import DEFAULT_LOOKBACK
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.market.sources import MarketState, MemorySource
from trading_bot.market.views import PrecomputedViews


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
