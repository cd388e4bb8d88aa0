"""Candles over REST: 200 bars per series at start, and whatever the WebSocket missed (after a
reconnect, when a bar was never seen closed, and in a periodic audit), so no bar is ever missing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from trading_bot.domain.market import timeframe_delta
from trading_bot.exchange.base import Exchange
from trading_bot.ingest.candles import GapTracker, write_sorted
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import fetch_candles, latest_ts

log = get_logger(__name__)

STARTUP_BARS = 200
MAX_BARS = 1440  # what OKX's recent-candles endpoint reaches
AUDIT_BARS = 200  # how far back the audit looks for holes


def floor_to(when: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=when.tzinfo)
    return epoch + ((when - epoch) // step) * step


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
        self._again: dict[tuple[str, str], datetime | None] = {}  # earliest `since` asked while running

    async def startup(self) -> None:
        for inst_id, timeframe in self.series:
            await self.fill(inst_id, timeframe, None)

    def request(self, inst_id: str, timeframe: str, since: datetime | None) -> None:
        """Schedule a fill of one series (coalesced: one running fill per series, rerun once)."""
        key = (inst_id, timeframe)
        running = self._tasks.get(key)
        if running is not None and not running.done():
            asked = self._again.get(key, since) if key in self._again else since
            self._again[key] = None if asked is None or since is None else min(asked, since)
            return
        self._tasks[key] = asyncio.get_running_loop().create_task(self._fill_logged(inst_id, timeframe, since))

    async def _fill_logged(self, inst_id: str, timeframe: str, since: datetime | None) -> None:
        try:
            await self.fill(inst_id, timeframe, since)
        except Exception as exc:  # REST down: the periodic audit tries again
            log.error("candle_backfill_failed", instrument=inst_id, timeframe=timeframe,
                      error=f"{type(exc).__name__}: {exc}")
        if (inst_id, timeframe) in self._again:
            await self._fill_logged(inst_id, timeframe, self._again.pop((inst_id, timeframe)))

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

    def first_hole(self, inst_id: str, timeframe: str, now: datetime) -> tuple[bool, datetime | None]:
        """(missing?, the closed bar before the first missing one) among the bars that must be
        closed by `now`, from the oldest one held within the last AUDIT_BARS."""
        step = timeframe_delta(timeframe)
        newest_closed = floor_to(now, step) - step
        start = newest_closed - (AUDIT_BARS - 1) * step
        stored = {bar.ts for bar in fetch_candles(self.db, inst_id, timeframe, start=start, confirmed_only=True)}
        if not stored:  # nothing recent at all: fill from whatever is newest
            return True, latest_ts(self.db, inst_id, timeframe, confirmed_only=True)
        expected = min(stored)  # holes count from the oldest bar we hold in the window
        while expected <= newest_closed:
            if expected not in stored:
                return True, expected - step
            expected += step
        return False, None

    async def audit(self) -> None:
        """Request a fill for every series with a closed bar missing among its last AUDIT_BARS
        (after a reconnect, and periodically): holes in the middle are found too."""
        now = await asyncio.to_thread(self.exchange.server_time)
        for inst_id, timeframe in self.series:
            missing, since = await asyncio.to_thread(self.first_hole, inst_id, timeframe, now)
            if missing:
                self.request(inst_id, timeframe, since)

    async def wait_idle(self) -> None:
        while any(not task.done() for task in self._tasks.values()):
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
