"""Candles over REST: 200 bars per series at start, and whatever the WebSocket missed (after a
reconnect, when a bar was never seen closed, and in a periodic audit), so no bar is ever missing."""

from __future__ import annotations

import asyncio
from datetime import datetime

from trading_bot.domain.market import timeframe_delta
from trading_bot.exchange.base import Exchange
from trading_bot.ingest.candles import GapTracker, write_sorted
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import latest_ts

log = get_logger(__name__)

STARTUP_BARS = 200
MAX_BARS = 1440  # what OKX's recent-candles endpoint reaches


class Backfiller:
    def __init__(self, exchange: Exchange, db: Database, series: list[tuple[str, str]],
                 startup_bars: int = STARTUP_BARS) -> None:
        self.exchange = exchange
        self.db = db
        self.series = series
        self.startup_bars = startup_bars
        self.tracker = GapTracker(on_gap=self.request)
        self.fetched = 0
        self._tasks: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._again: set[tuple[str, str]] = set()

    async def startup(self) -> None:
        for inst_id, timeframe in self.series:
            await self.fill(inst_id, timeframe, None)

    def request(self, inst_id: str, timeframe: str, since: datetime | None) -> None:
        """Schedule a fill of one series (coalesced: one running fill per series, rerun once)."""
        key = (inst_id, timeframe)
        running = self._tasks.get(key)
        if running is not None and not running.done():
            self._again.add(key)
            return
        self._tasks[key] = asyncio.get_running_loop().create_task(self._fill_logged(inst_id, timeframe, since))

    async def _fill_logged(self, inst_id: str, timeframe: str, since: datetime | None) -> None:
        try:
            await self.fill(inst_id, timeframe, since)
        except Exception as exc:  # REST down: the periodic audit tries again
            log.error("candle_backfill_failed", instrument=inst_id, timeframe=timeframe,
                      error=f"{type(exc).__name__}: {exc}")
        if (inst_id, timeframe) in self._again:
            self._again.discard((inst_id, timeframe))
            since = await asyncio.to_thread(self._db_latest, inst_id, timeframe)
            await self._fill_logged(inst_id, timeframe, since)

    async def fill(self, inst_id: str, timeframe: str, since: datetime | None) -> int:
        """Fetch the bars after `since` (the newest `startup_bars` when None) and upsert them."""
        limit = self.startup_bars if since is None else await self._bars_since(timeframe, since)
        bars = await asyncio.to_thread(self.exchange.candles, inst_id, timeframe, limit)
        written = await asyncio.to_thread(write_sorted, self.db, bars)
        closed = [bar.ts for bar in bars if bar.confirmed]
        self.tracker.reset(inst_id, timeframe, max(closed) if closed else None)
        self.fetched += len(bars)
        log.info("candles_backfilled", instrument=inst_id, timeframe=timeframe, bars=len(bars), written=written,
                 since=since.isoformat() if since else None)
        return written

    async def _bars_since(self, timeframe: str, since: datetime) -> int:
        now = await asyncio.to_thread(self.exchange.server_time)
        missing = int((now - since) / timeframe_delta(timeframe)) + 2
        return max(2, min(MAX_BARS, missing))

    def _db_latest(self, inst_id: str, timeframe: str) -> datetime | None:
        return latest_ts(self.db, inst_id, timeframe, confirmed_only=True)

    async def audit(self) -> None:
        """Request a fill for every series whose newest closed bar in the database is older
        than the bar before the current one (after a reconnect, and periodically)."""
        now = await asyncio.to_thread(self.exchange.server_time)
        for inst_id, timeframe in self.series:
            latest = await asyncio.to_thread(self._db_latest, inst_id, timeframe)
            if latest is None or now - latest >= 2 * timeframe_delta(timeframe):
                self.request(inst_id, timeframe, latest)

    async def wait_idle(self) -> None:
        while any(not task.done() for task in self._tasks.values()):
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
