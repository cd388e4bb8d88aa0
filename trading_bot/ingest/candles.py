"""Candles from the WebSocket into PostgreSQL in batches, and the bookkeeping that notices a bar
we never saw closed (a gap) so it can be fetched over REST.

OKX repeats the forming bar (confirm "0") until it closes; a batch keeps only the newest state
per bar and never lets a forming update replace a closed one. A batch PostgreSQL refuses (a
restart, a lost connection) is kept and written with the next flush that succeeds. Rows are written in key order so
two concurrent writers (the sink and a backfill) cannot deadlock on each other's row locks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from trading_bot.domain.market import Candle, timeframe_delta
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.outage import OutageWatch, is_storage_outage
from trading_bot.storage.repos.candles import upsert_candles

log = get_logger(__name__)
CandleKey = tuple[str, str, datetime]
Series = tuple[str, str]  # (instrument, timeframe)


def channel_timeframe(channel: str) -> str:
    """`candle15m` → `15m`, `candle1H` → `1H`."""
    if not channel.startswith("candle"):
        raise ValueError(f"not a candle channel: {channel!r}")
    return channel.removeprefix("candle")


def merge(batch: dict[CandleKey, Candle], candle: Candle) -> None:
    key = (candle.inst_id, candle.timeframe, candle.ts)
    held = batch.get(key)
    if held is None or candle.confirmed or not held.confirmed:
        batch[key] = candle


def write_sorted(db: Database, candles: Iterable[Candle]) -> int:
    ordered = sorted(candles, key=lambda c: (c.inst_id, c.timeframe, c.ts))
    return upsert_candles(db, ordered) if ordered else 0


@dataclass
class SinkStats:
    received: int = 0
    refused: int = 0  # pushed bars that broke the candle rule (logged as candle_refused, not stored)
    written: int = 0
    flushes: int = 0
    lags_ms: list[float] = field(default_factory=list)  # receive → commit, per candle in the batch


class CandleSink:
    """Collects pushed candles and upserts them every `interval` seconds (or at `max_batch`)."""

    def __init__(self, db: Database, interval: float = 0.1, max_batch: int = 2000) -> None:
        self.db = db
        self.interval = interval
        self.max_batch = max_batch
        self.stats = SinkStats()
        self._batch: dict[CandleKey, Candle] = {}
        self._received_at: dict[CandleKey, float] = {}
        self._full = asyncio.Event()
        self._lock = asyncio.Lock()
        self.outage = OutageWatch("postgresql")

    def add(self, candle: Candle) -> None:
        merge(self._batch, candle)
        self._received_at.setdefault((candle.inst_id, candle.timeframe, candle.ts), time.monotonic())
        self.stats.received += 1
        if len(self._batch) >= self.max_batch:
            self._full.set()

    def _keep(self, batch: dict[CandleKey, Candle], received: dict[CandleKey, float]) -> None:
        """A batch the database refused goes back, under what arrived since (newer states)."""
        newer = self._batch
        self._batch = batch
        for candle in newer.values():
            merge(self._batch, candle)
        self._received_at = {**received, **self._received_at}

    async def run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._full.wait(), self.interval)
            except TimeoutError:
                pass
            await self.flush()

    async def flush(self) -> int:
        async with self._lock:
            self._full.clear()
            if not self.outage.retry_due() or not self._batch:
                return 0
            batch, received = self._batch, self._received_at
            self._batch, self._received_at = {}, {}
            try:
                written = await asyncio.to_thread(write_sorted, self.db, batch.values())
            except Exception as exc:
                if not is_storage_outage(exc):
                    raise
                self._keep(batch, received)
                self.outage.failed(exc)
                return 0
            self.outage.succeeded(candles_written=written)
            done = time.monotonic()
            self.stats.lags_ms.extend((done - at) * 1000 for at in received.values())
            del self.stats.lags_ms[:-10_000]
            self.stats.written += written
            self.stats.flushes += 1
            return written


@dataclass
class GapTracker:
    """Per series: the newest bar seen and the newest bar seen *closed*. When a new bar starts
    and the previous one was never seen closed, that series has a gap to fetch over REST."""

    on_gap: Callable[[str, str, datetime | None], None]
    newest: dict[Series, datetime] = field(default_factory=dict)
    closed: dict[Series, datetime] = field(default_factory=dict)

    def seen(self, candle: Candle) -> None:
        series = (candle.inst_id, candle.timeframe)
        previous_newest = self.newest.get(series)
        last_closed = self.closed.get(series)  # before this candle: a closed bar arriving after a hole is no proof
        if candle.confirmed:
            self.closed[series] = max(candle.ts, last_closed or candle.ts)
        if previous_newest is None or candle.ts <= previous_newest:
            self.newest[series] = max(candle.ts, previous_newest or candle.ts)
            return
        self.newest[series] = candle.ts
        expected = candle.ts - timeframe_delta(candle.timeframe)
        if last_closed is None or last_closed < expected:
            self.on_gap(candle.inst_id, candle.timeframe, last_closed)

    def reset(self, inst_id: str, timeframe: str, last_closed: datetime | None) -> None:
        """After a REST backfill: what the database now holds."""
        series = (inst_id, timeframe)
        if last_closed is not None:
            self.closed[series] = max(last_closed, self.closed.get(series, last_closed))
            self.newest[series] = max(last_closed, self.newest.get(series, last_closed))
