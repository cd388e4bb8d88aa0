"""Candles from the exchange's history into the candles table: OKX `history-candles` (real OKX or
the simulator) through the `Exchange` adapter, which keeps to OKX's rate limits and retries.

It walks back from `end` to `start` one page (100 bars, OKX's history maximum) at a time and writes
each page as it comes. A page whose bars are all stored already is not requested again, so a rerun
after an interruption (or over a range partly imported from a file) only fetches what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from trading_bot.domain.market import timeframe_delta
from trading_bot.exchange.base import Exchange
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import count, upsert_candles

PAGE = 100  # bars per history-candles request
Progress = Callable[[int, int], None]  # (pages just handled, total pages)


@dataclass
class DownloadReport:
    pages: int = 0  # pages requested from the exchange
    skipped: int = 0  # pages already stored
    bars: int = 0  # bars received within the range
    first: datetime | None = None  # oldest bar received
    exhausted: datetime | None = None  # the exchange had nothing before this time


def floor_time(when: datetime, timeframe: str) -> datetime:
    step = timeframe_delta(timeframe)
    epoch = datetime(1970, 1, 1, tzinfo=when.tzinfo)
    return epoch + ((when - epoch) // step) * step


def download(exchange: Exchange, db: Database, inst_id: str, timeframe: str, start: datetime, end: datetime,
             progress: Progress | None = None, page: int = PAGE) -> DownloadReport:
    """Bars opening in [start, end) (bar times), newest page first."""
    step = timeframe_delta(timeframe)
    start, cursor = floor_time(start, timeframe), floor_time(end, timeframe)
    total = max(1, -(-int((cursor - start) / step) // page))
    report = DownloadReport()
    while cursor > start:
        low = max(start, cursor - page * step)
        if count(db, inst_id, timeframe, low, cursor) >= int((cursor - low) / step):
            report.skipped += 1
            cursor = low
        else:
            bars = [bar for bar in exchange.candles(inst_id, timeframe, limit=page, before=cursor) if bar.ts >= start]
            report.pages += 1
            if not bars:
                report.exhausted = cursor
                break
            oldest = min(bar.ts for bar in bars)
            if oldest >= cursor:
                raise RuntimeError(f"the exchange answered bars at or after {cursor:%Y-%m-%d %H:%M}Z when asked "
                                   "for older ones; stopping rather than looping")
            upsert_candles(db, bars)
            report.bars += len(bars)
            cursor = oldest
            report.first = cursor
        if progress:
            progress(1, total)
    return report
