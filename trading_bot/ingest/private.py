"""`ws-private`: the account's orders, fills, positions and balance, from OKX's private
WebSocket into PostgreSQL (orders, fills, positions_history, account_snapshots), Redis (latest
account and open positions) and the streams `trade:orders`, `trade:fills`, `trade:positions`.

After every (re)connect a REST catch-up (balance, pending orders, recent fills, positions) fills
in whatever happened while we were not listening; pushes and catch-up are serialised and
idempotent, so each fill is stored and published exactly once. A push that could not be handled
(PostgreSQL or Redis down, an insert refused) is not lost: the feed is then behind, and the
catch-up runs again, with backoff, until one succeeds.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import redis

from trading_bot.domain.orders import Account, Fill
from trading_bot.exchange.errors import AuthError
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.endpoints import OkxEndpoints
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.okx.ws import OkxWebSocket, WsTiming
from trading_bot.ingest.ledger import TradeLedger
from trading_bot.ingest.positions import PositionBook
from trading_bot.ingest.runtime import for_each_item, heartbeat_loop, run_loops
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.market_state import put_latest
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.account import record_account
from trading_bot.storage.repos.orders import orders_with_raw
from trading_bot.storage.repos.trades import open_trades
from trading_bot.storage.streams import Keys

log = get_logger(__name__)
ROLE = "ws-private"
SUBSCRIPTIONS = [
    {"channel": "orders", "instType": "SWAP"},
    {"channel": "positions", "instType": "SWAP"},
    {"channel": "account", "ccy": "USDT"},
]
ACCOUNT_SAMPLE_EVERY = timedelta(seconds=60)
CATCH_UP_FILLS = 100
RETRY_MAX_SECONDS = 30.0


class PrivateFeed:
    def __init__(self, exchange: OkxRest, db: Database, client: redis.Redis, keys: Keys, endpoints: OkxEndpoints,
                 *, run_id: str = LIVE_RUN, timing: WsTiming | None = None) -> None:
        if endpoints.credentials is None:
            raise ValueError("ws-private needs API credentials")
        self.exchange, self.db, self.client, self.keys, self.run_id = exchange, db, client, keys, run_id
        self.ledger = TradeLedger(db, client, keys, run_id)
        self.book = PositionBook(db, client, keys, exchange.instrument, run_id)
        self.ws = OkxWebSocket(endpoints.ws_private_url, SUBSCRIPTIONS, self.on_message, name="private",
                               credentials=endpoints.credentials, on_connected=self.on_connected, timing=timing)
        self._serial = asyncio.Lock()  # pushes and catch-up both move the position book
        self._last_sample: datetime | None = None
        self._stopped = asyncio.Event()
        self.behind = False  # a push or a catch-up failed: what it carried is fetched again
        self.failures = 0

    async def on_message(self, message: dict[str, Any]) -> None:
        async with self._serial:
            try:
                await asyncio.to_thread(self._handle, message)
            except Exception as exc:  # the catch-up fetches what this push carried
                self._fell_behind("push", exc, channel=message["arg"].get("channel"))

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message["arg"].get("channel")
        if channel == "orders":
            for_each_item(message, self.ledger.on_order_push)
        elif channel == "positions":
            for_each_item(message, lambda item: self.book.on_push(parse.position_state(item), parse.position(item)))
        elif channel == "account":
            for_each_item(message, lambda item: self.on_account(parse.account(item)))
        else:
            log.warning("ws_unexpected_channel", channel=channel)

    def on_account(self, account: Account) -> None:
        put_latest(self.client, self.keys.account(), account)
        if self._last_sample is None or account.ts - self._last_sample >= ACCOUNT_SAMPLE_EVERY:
            record_account(self.db, account, self.run_id)
            self._last_sample = account.ts

    async def on_connected(self, reconnected: bool) -> None:
        if await self._catch_up():
            log.info("private_caught_up", reconnected=reconnected)

    async def _catch_up(self) -> bool:
        async with self._serial:
            try:
                await asyncio.to_thread(self.catch_up)
            except AuthError:
                raise
            except Exception as exc:
                self._fell_behind("catch-up", exc)
                return False
        self.behind = False
        return True

    def _fell_behind(self, what: str, exc: Exception, **detail: Any) -> None:
        self.behind = True
        self.failures += 1
        log.warning("private_behind", failed=what, error=f"{type(exc).__name__}: {exc}"[:300], **detail)

    async def keep_up(self) -> None:
        """While behind, run the catch-up again: after 1 s, then doubling up to RETRY_MAX_SECONDS."""
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            if not (self.behind and self.ws.connected):
                delay = 1.0
                continue
            if await self._catch_up():
                log.info("private_caught_up", after_failures=self.failures)
                self.failures, delay = 0, 1.0
            else:
                delay = min(delay * 2, RETRY_MAX_SECONDS)

    def catch_up(self) -> None:
        """What happened while nobody listened: balance, working orders, recent fills, positions."""
        self.on_account(self.exchange.account())
        for order in self.exchange.pending_orders():
            self.ledger.on_order(order)
        fills = list(reversed(self.exchange.fills(limit=CATCH_UP_FILLS)))  # oldest first
        self._record_closing_orders(fills)
        for fill in fills:
            self.ledger.on_fill(fill)
        asked = self.exchange.server_time()  # (before the list: a trade journaled after it is not "unseen")
        self.book.on_snapshot(self.exchange.positions(), now=asked)

    def _record_closing_orders(self, fills: list[Fill]) -> None:
        """Store the orders behind fills of the positions we hold, or the journal holds, that the
        database does not know (finished while we were away, so not among the pending ones): the
        close reason of a position that vanished is read from them (a TP/SL order carries its algoId)."""
        since: dict[tuple[str, str], datetime] = {(p.inst_id, p.side): p.created_at for p in self.book.held.values()}
        for trade in open_trades(self.db, self.run_id):
            since.setdefault((trade.instrument, trade.side), trade.entry_ts)
        wanted: dict[str, set[str]] = {}
        for fill in fills:
            opened = since.get((fill.inst_id, "long" if fill.side == "sell" else "short"))
            if opened is not None and fill.ts >= opened:
                wanted.setdefault(fill.inst_id, set()).add(fill.ord_id)
        for inst_id, ord_ids in wanted.items():
            known = {order.ord_id for order, raw in orders_with_raw(self.db, inst_id, sorted(ord_ids)) if raw}
            for ord_id in sorted(ord_ids - known):
                record = self.exchange.order_record(inst_id, ord_id=ord_id)
                if record is not None:
                    self.ledger.on_order(*record)

    async def run(self) -> None:
        beat = heartbeat_loop(self.client, self.keys, ROLE, lambda: self.ws.connected)
        await run_loops([self.ws.run(), self.keep_up(), beat], self._stopped)

    async def stop(self) -> None:
        self._stopped.set()
        await self.ws.stop()
