"""Exact aggregation of candles into a higher timeframe (1m → 15m/1H/4H, 15m → 1H/4H, …).

A higher bar is built only from a complete set of lower bars (e.g. all sixty 1m bars of an hour),
all of them closed: open of the first, highest high, lowest low, close of the last, volumes summed.
Incomplete buckets (gaps, or the bucket still forming at the end) are left out and counted, never
guessed. Buckets are aligned to UTC (epoch multiples of the higher timeframe), as OKX aligns bars up
to 4H. Candles keep Decimal arithmetic, so the result is exact; frames (float) sum in bar order.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from trading_bot.clock import from_ms, to_ms
from trading_bot.domain.market import TIMEFRAME_SECONDS, Candle
from trading_bot.market.frame import CandleFrame, timeframe_ms


@dataclass
class AggregationReport:
    built: int = 0
    incomplete: int = 0  # buckets left out for missing or unconfirmed lower bars


def bars_per_bucket(lower: str, higher: str) -> int:
    low, high = timeframe_ms(lower), timeframe_ms(higher)
    if high <= low or high % low:
        raise ValueError(f"cannot aggregate {lower} into {higher}: {higher} must be a whole multiple of {lower}")
    if TIMEFRAME_SECONDS[higher] > 4 * 3600:
        raise ValueError(f"{higher} bars are aligned to Hong Kong time by OKX; aggregate up to 4H only")
    return high // low


def aggregate_candles(
    candles: Iterable[Candle], higher: str, report: AggregationReport | None = None
) -> Iterator[Candle]:
    """Higher-timeframe candles from lower ones of one instrument, sorted by time."""
    report = report if report is not None else AggregationReport()
    bucket: list[Candle] = []
    size = 0
    previous: Candle | None = None
    for candle in candles:
        if previous is None:
            size = bars_per_bucket(candle.timeframe, higher)
        elif candle.timeframe != previous.timeframe or candle.ts <= previous.ts:
            where = f"{candle.ts:%Y-%m-%d %H:%M}Z"
            raise ValueError(f"candles to aggregate must be of one timeframe and in time order (at {where})")
        previous = candle
        if bucket and _bucket_of(candle, higher) != _bucket_of(bucket[0], higher):
            yield from _close_bucket(bucket, higher, size, report)
            bucket = []
        bucket.append(candle)
    if bucket:
        yield from _close_bucket(bucket, higher, size, report)


def _bucket_of(candle: Candle, higher: str) -> int:
    step = timeframe_ms(higher)
    return to_ms(candle.ts) // step * step


def _close_bucket(bucket: list[Candle], higher: str, size: int, report: AggregationReport) -> Iterator[Candle]:
    if len(bucket) != size or not all(c.confirmed for c in bucket):
        report.incomplete += 1
        return
    report.built += 1
    yield Candle(
        inst_id=bucket[0].inst_id,
        timeframe=higher,
        ts=from_ms(_bucket_of(bucket[0], higher)),
        open=bucket[0].open,
        high=max(c.high for c in bucket),
        low=min(c.low for c in bucket),
        close=bucket[-1].close,
        volume=sum((c.volume for c in bucket), Decimal(0)),
        volume_ccy=sum((c.volume_ccy for c in bucket), Decimal(0)),
        volume_quote=sum((c.volume_quote for c in bucket), Decimal(0)),
        confirmed=True,
    )


def aggregate_frame(frame: CandleFrame, higher: str) -> CandleFrame:
    """The complete higher-timeframe bars of a frame of closed bars."""
    size = bars_per_bucket(frame.timeframe, higher)
    step = timeframe_ms(higher)
    bucket = frame.ts // step * step
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]]) if len(frame) else np.empty(0, np.int64)
    counts = np.diff(np.r_[starts, len(frame)])
    complete = starts[counts == size]
    last = complete + size - 1
    if not len(complete):
        return CandleFrame.empty(higher)
    volume = np.add.reduceat(frame.volume, starts)[counts == size]
    return CandleFrame.from_arrays(
        higher, bucket[complete], frame.open[complete],
        np.maximum.reduceat(frame.high, starts)[counts == size],
        np.minimum.reduceat(frame.low, starts)[counts == size],
        frame.close[last], volume,
    )
