"""Orders and fills from the exchange into PostgreSQL and onto `trade:orders` / `trade:fills`.

Every path that learns about an order or fill (the private `orders` channel, the REST catch-up
after a reconnect) goes through here, and everything here is idempotent: rows are upserted,
fills inserted once per trade id, and events published once per identity. A fill is published
while its row is not marked published (PostgreSQL's outbox mark, which outlives a Redis that lost
its data; Redis' own marker covers a crash between the publish and the mark).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import redis

from trading_bot.domain.events import FillEvent, OrderEvent
from trading_bot.domain.orders import Fill, Order
from trading_bot.exchange.okx import parse
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.dedup import publish_once
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.fills import insert_fill, mark_published
from trading_bot.storage.repos.orders import upsert_order
from trading_bot.storage.streams import TRADE_FILLS, TRADE_ORDERS, Keys

log = get_logger(__name__)
ZERO = Decimal(0)


class TradeLedger:
    def __init__(self, db: Database, client: redis.Redis, keys: Keys, run_id: str = LIVE_RUN) -> None:
        self.db, self.client, self.keys, self.run_id = db, client, keys, run_id
        self.fills_published = 0

    def on_order_push(self, item: dict[str, Any]) -> Fill | None:
        """One `orders` channel item: store the order, and the fill it reports (if any)."""
        order = parse.order(item)
        before = upsert_order(self.db, order, item, run_id=self.run_id)
        cycle_id = before.cycle_id if before else None
        self._publish_order(order, cycle_id)
        fill = parse.fill_from_order_push(item, before.fee if before else ZERO, before.pnl if before else ZERO)
        if fill is not None:
            self.on_fill(fill, cycle_id)
        return fill

    def on_order(self, order: Order, raw: dict[str, Any] | None = None) -> None:
        """An order learnt over REST (catch-up, reconciliation), with its raw record when known."""
        before = upsert_order(self.db, order, raw, run_id=self.run_id)
        self._publish_order(order, before.cycle_id if before else None)

    def on_fill(self, fill: Fill, cycle_id: str | None = None) -> bool:
        """Store and publish a fill once; True when it was new."""
        stored = insert_fill(self.db, fill, self.run_id)
        if stored.published:
            return stored.new
        published = publish_once(self.client, self.keys, TRADE_FILLS, FillEvent(fill=fill, cycle_id=cycle_id),
                                 f"{fill.inst_id}:{fill.trade_id}")
        mark_published(self.db, fill)
        if published:
            self.fills_published += 1
            log.info("fill", instrument=fill.inst_id, side=fill.side, size=str(fill.size), price=str(fill.price),
                     fee=str(fill.fee), pnl=str(fill.pnl), ord_id=fill.ord_id)
        return stored.new

    def _publish_order(self, order: Order, cycle_id: str | None) -> None:
        identity = f"{order.inst_id}:{order.ord_id}:{order.state}:{order.filled}"
        publish_once(self.client, self.keys, TRADE_ORDERS, OrderEvent(order=order, cycle_id=cycle_id), identity)
