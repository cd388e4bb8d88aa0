"""Client-side rate limiting per OKX endpoint, so the bot stays under the published limits
(CONTRACT.md §8: requests per 2 seconds, some per instrument) instead of collecting 50011s.

A sliding window per key: at most `limit × headroom` calls in any window; a caller that would
exceed it sleeps until the oldest call leaves the window. Thread-safe (Celery thread pools).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 2.0
DEFAULT_HEADROOM = 0.9  # stay 10 % under the limit: OKX's window and ours are not aligned


@dataclass(frozen=True)
class Limit:
    calls: int  # per WINDOW_SECONDS
    per_instrument: bool = False


LIMITS: dict[str, Limit] = {
    "/api/v5/market/candles": Limit(40),
    "/api/v5/market/books": Limit(40),
    "/api/v5/market/history-candles": Limit(20),
    "/api/v5/market/ticker": Limit(20),
    "/api/v5/public/instruments": Limit(20),
    "/api/v5/public/open-interest": Limit(20, per_instrument=True),
    "/api/v5/public/funding-rate": Limit(10, per_instrument=True),
    "/api/v5/public/time": Limit(10),
    "/api/v5/account/balance": Limit(10),
    "/api/v5/account/positions": Limit(10),
    "/api/v5/account/config": Limit(5),
    "/api/v5/account/set-position-mode": Limit(5),
    "/api/v5/account/set-leverage": Limit(20),
    "/api/v5/trade/order": Limit(60, per_instrument=True),
    "/api/v5/trade/cancel-order": Limit(60, per_instrument=True),
    "/api/v5/trade/amend-order": Limit(60, per_instrument=True),
    "/api/v5/trade/orders-pending": Limit(60),
    "/api/v5/trade/fills": Limit(60),
    "/api/v5/trade/close-position": Limit(20, per_instrument=True),
    "/api/v5/trade/order-algo": Limit(20, per_instrument=True),
    "/api/v5/trade/cancel-algos": Limit(20),
    "/api/v5/trade/orders-algo-pending": Limit(20),
}
FALLBACK = Limit(10)  # an endpoint missing from the table gets a conservative budget


class RateLimiter:
    def __init__(
        self,
        limits: dict[str, Limit] | None = None,
        headroom: float = DEFAULT_HEADROOM,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = LIMITS if limits is None else limits
        self._headroom = headroom
        self._monotonic = monotonic
        self._sleep = sleep
        self._calls: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def capacity(self, path: str) -> int:
        return max(1, int(self._limits.get(path, FALLBACK).calls * self._headroom))

    def key(self, path: str, inst_id: str | None = None) -> str:
        limit = self._limits.get(path, FALLBACK)
        return f"{path}:{inst_id}" if limit.per_instrument and inst_id else path

    def acquire(self, path: str, inst_id: str | None = None) -> float:
        """Block until a call to `path` is allowed; returns the seconds waited."""
        key, capacity = self.key(path, inst_id), self.capacity(path)
        waited = 0.0
        while True:
            delay = self._try_take(key, capacity)
            if delay <= 0:
                return waited
            self._sleep(delay)
            waited += delay

    def _try_take(self, key: str, capacity: int) -> float:
        with self._lock:
            now = self._monotonic()
            calls = self._calls.setdefault(key, deque())
            while calls and now - calls[0] >= WINDOW_SECONDS:
                calls.popleft()
            if len(calls) < capacity:
                calls.append(now)
                return 0.0
            return calls[0] + WINDOW_SECONDS - now
