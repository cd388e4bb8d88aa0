"""`ws-public`: OKX market data into PostgreSQL (candles) and Redis (latest ticker, books,
funding, mark price, open interest with a short history), for every configured instrument.

Two connections, because OKX serves candles only on /business: tickers, books5, funding-rate and
mark-price on /public; candle15m/1H/4H on /business. Candles are backfilled over REST at start
(200 per timeframe), after every reconnect, whenever a bar was never seen closed, and by a
periodic audit. Open interest is polled over REST every OKX_OI_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
from typing import Any

import redis

from trading_bot.domain.market import SNAPSHOT_TIMEFRAMES
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.endpoints import OkxEndpoints
from trading_bot.exchange.okx.ws import OkxWebSocket, WsTiming
from trading_bot.ingest.backfill import Backfiller
from trading_bot.ingest.candles import CandleSink, channel_timeframe
from trading_bot.ingest.latest import LatestSink
from trading_bot.ingest.runtime import for_each_item, heartbeat_loop, run_loops
from trading_bot.logs import get_logger, truncate
from trading_bot.storage.db import Database
from trading_bot.storage.market_state import record_open_interest
from trading_bot.storage.streams import Keys

log = get_logger(__name__)
ROLE = "ws-public"
AUDIT_SECONDS = 60.0
PUBLIC_CHANNELS = ("tickers", "books5", "funding-rate", "mark-price")


def public_subscriptions(inst_ids: list[str]) -> list[dict[str, str]]:
    return [{"channel": channel, "instId": inst_id} for inst_id in inst_ids for channel in PUBLIC_CHANNELS]


def business_subscriptions(inst_ids: list[str], timeframes: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"channel": f"candle{tf}", "instId": inst_id} for inst_id in inst_ids for tf in timeframes]


class PublicFeed:
    def __init__(
        self, exchange: Exchange, db: Database, client: redis.Redis, keys: Keys, endpoints: OkxEndpoints,
        inst_ids: list[str], *, timeframes: tuple[str, ...] = SNAPSHOT_TIMEFRAMES, oi_poll_seconds: float = 60.0,
        timing: WsTiming | None = None,
    ) -> None:
        self.exchange, self.client, self.keys, self.inst_ids = exchange, client, keys, inst_ids
        self.oi_poll_seconds = oi_poll_seconds
        self.candles = CandleSink(db)
        self.latest = LatestSink(client)
        self.backfill = Backfiller(exchange, db, [(i, tf) for i in inst_ids for tf in timeframes])
        self.public_ws = OkxWebSocket(endpoints.ws_public_url, public_subscriptions(inst_ids), self.on_public,
                                      name="public", timing=timing)
        self.business_ws = OkxWebSocket(endpoints.ws_business_url, business_subscriptions(inst_ids, timeframes),
                                        self.on_business, name="business", timing=timing,
                                        on_connected=self.on_business_connected)
        self._stopped = asyncio.Event()

    # --- pushes ---------------------------------------------------------------------------
    async def on_public(self, message: dict[str, Any]) -> None:
        arg = message["arg"]
        channel, inst_id = arg.get("channel"), arg.get("instId", "")
        if channel == "tickers":
            for_each_item(message, self._ticker)
        elif channel == "books5":
            for_each_item(message, lambda item: self._book(item, inst_id))
        elif channel == "funding-rate":
            for_each_item(message, self._funding)
        elif channel == "mark-price":
            for_each_item(message, self._mark)
        else:
            log.warning("ws_unexpected_channel", channel=channel, raw=truncate(message, 200))

    def _ticker(self, item: Any) -> None:
        ticker = parse.ticker(item)
        self.latest.put(self.keys.ticker(ticker.inst_id), ticker, ticker.ts)

    def _book(self, item: Any, inst_id: str) -> None:
        book = parse.order_book(item, inst_id)
        self.latest.put(self.keys.books(book.inst_id), book, book.ts)

    def _mark(self, item: Any) -> None:
        mark = parse.mark_price(item)
        self.latest.put(self.keys.mark_price(mark.inst_id), mark, mark.ts)

    def _funding(self, item: Any) -> None:
        funding = parse.funding_rate(item)
        self.latest.put(self.keys.funding(funding.inst_id), funding, funding.ts)

    async def on_business(self, message: dict[str, Any]) -> None:
        arg = message["arg"]
        timeframe, inst_id = channel_timeframe(str(arg.get("channel"))), str(arg.get("instId"))
        for_each_item(message, lambda row: self._candle(row, inst_id, timeframe))

    def _candle(self, row: Any, inst_id: str, timeframe: str) -> None:
        try:
            candle = parse.candle(row, inst_id, timeframe)
        except parse.BadCandle as bad:  # never stored; the bar's gap is filled over REST if REST has it right
            self.candles.stats.refused += 1
            log.warning("candle_refused", source="ws", **bad.fields())
            return
        self.candles.add(candle)
        self.backfill.tracker.seen(candle)

    async def on_business_connected(self, reconnected: bool) -> None:
        if reconnected:  # bars may have closed while we were away
            await self.backfill.audit()

    # --- loops ----------------------------------------------------------------------------
    async def poll_open_interest(self) -> None:
        while True:
            for inst_id in self.inst_ids:
                try:
                    oi = await asyncio.to_thread(self.exchange.open_interest, inst_id)
                    await asyncio.to_thread(record_open_interest, self.client, self.keys, oi)  # latest + 1H history
                except Exception as exc:
                    log.warning("open_interest_poll_failed", instrument=inst_id, error=f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(self.oi_poll_seconds)

    async def audit(self) -> None:
        while True:
            await asyncio.sleep(AUDIT_SECONDS)
            try:
                await self.backfill.audit()
            except Exception as exc:
                log.warning("candle_audit_failed", error=f"{type(exc).__name__}: {exc}")

    async def seed_latest(self) -> None:
        """Latest state over REST once at start, so readers need not wait for the first pushes."""
        for inst_id in self.inst_ids:
            ticker = await asyncio.to_thread(self.exchange.ticker, inst_id)
            self.latest.put(self.keys.ticker(inst_id), ticker, ticker.ts)
            book = await asyncio.to_thread(self.exchange.order_book, inst_id, 5)
            self.latest.put(self.keys.books(inst_id), book, book.ts)
            funding = await asyncio.to_thread(self.exchange.funding_rate, inst_id)
            self.latest.put(self.keys.funding(inst_id), funding, funding.ts)
        await self.latest.flush()

    async def run(self) -> None:
        """Backfill, then stream until `stop()`; a crash of any part ends the feed with it."""
        await self.backfill.startup()
        await self.seed_latest()
        loops = [self.public_ws.run(), self.business_ws.run(), self.candles.run(), self.latest.run(),
                 self.poll_open_interest(), self.audit(),
                 heartbeat_loop(self.client, self.keys, ROLE, lambda: self.public_ws.connected and self.business_ws.connected)]
        try:
            await run_loops(loops, self._stopped)
        finally:
            await self.candles.flush()
            await self.latest.flush()

    async def stop(self) -> None:
        self._stopped.set()
        await self.public_ws.stop()
        await self.business_ws.stop()
