"""Latest ticker / books / funding / open interest into Redis, coalesced: many pushes of the same
key between two flushes cost one SET (readers only ever want the newest state). While Redis is
unreachable the newest state per key is kept and written on the first flush that succeeds, so the
snapshot is current again as soon as Redis is back."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

import redis
from pydantic import BaseModel

from trading_bot.storage.market_state import LATEST_TTL_SECONDS
from trading_bot.storage.outage import OutageWatch, is_storage_outage


@dataclass
class LatestStats:
    received: int = 0
    written: int = 0
    flushes: int = 0
    lags_ms: list[float] = field(default_factory=list)  # exchange timestamp → committed in Redis


class LatestSink:
    def __init__(self, client: redis.Redis, interval: float = 0.05, ttl: int = LATEST_TTL_SECONDS) -> None:
        self.client = client
        self.interval = interval
        self.ttl = ttl
        self.stats = LatestStats()
        self._pending: dict[str, tuple[BaseModel, datetime]] = {}
        self._lock = asyncio.Lock()
        self.outage = OutageWatch("redis")

    def put(self, key: str, model: BaseModel, exchange_ts: datetime) -> None:
        self._pending[key] = (model, exchange_ts)
        self.stats.received += 1

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> int:
        async with self._lock:
            if not self.outage.retry_due() or not self._pending:
                return 0
            pending, self._pending = self._pending, {}
            try:
                await asyncio.to_thread(self._write, pending)
            except Exception as exc:
                if not is_storage_outage(exc):
                    raise
                self._pending = {**pending, **self._pending}  # pushes since the failure are newer
                self.outage.failed(exc)
                return 0
            self.outage.succeeded(keys_written=len(pending))
            now = time.time()
            self.stats.lags_ms.extend((now - ts.timestamp()) * 1000 for _, ts in pending.values())
            del self.stats.lags_ms[:-10_000]
            self.stats.written += len(pending)
            self.stats.flushes += 1
            return len(pending)

    def _write(self, pending: dict[str, tuple[BaseModel, datetime]]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for key, (model, _) in pending.items():
                pipe.set(key, model.model_dump_json(), ex=self.ttl)
            pipe.execute()
