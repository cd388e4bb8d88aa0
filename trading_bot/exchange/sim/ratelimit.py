"""OKX's per-endpoint rate limits (requests per 2 s), CONTRACT.md §8. Exceeding one answers HTTP 429
with code 50011. Keys: `ip` (all local clients share one budget per endpoint), `user` (the API key),
plus the instrument where OKX counts per instId."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_S = 2.0
# path (after /api/v5/) → (requests per window, scope, per-instrument)
LIMITS: dict[str, tuple[int, str, bool]] = {
    "market/candles": (40, "ip", False), "market/books": (40, "ip", False),
    "market/history-candles": (20, "ip", False), "market/ticker": (20, "ip", False),
    "market/tickers": (20, "ip", False), "public/instruments": (20, "ip", False),
    "public/open-interest": (20, "ip", True), "public/funding-rate": (10, "ip", True),
    "public/funding-rate-history": (10, "ip", True), "public/time": (10, "ip", False),
    "public/mark-price": (10, "ip", False), "account/balance": (10, "user", False),
    "account/positions": (10, "user", False), "account/config": (5, "user", False),
    "account/set-position-mode": (5, "user", False), "account/set-leverage": (20, "user", False),
    "account/leverage-info": (20, "user", False), "trade/order": (60, "user", True),
    "trade/cancel-order": (60, "user", True), "trade/amend-order": (60, "user", True),
    "trade/orders-pending": (60, "user", False), "trade/orders-history": (40, "user", False),
    "trade/fills": (60, "user", False), "trade/close-position": (20, "user", True),
    "trade/order-algo": (20, "user", True), "trade/cancel-algos": (20, "user", True),
    "trade/orders-algo-pending": (20, "user", False), "trade/orders-algo-history": (20, "user", False),
}


class RateLimiter:
    def __init__(self, enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self._clock = clock
        self._hits: dict[tuple[str, ...], deque[float]] = {}

    def allow(self, endpoint: str, method: str, user: str, inst_id: str) -> bool:
        rule = LIMITS.get(endpoint)
        if not self.enabled or rule is None:
            return True
        limit, scope, per_inst = rule
        key = (endpoint, method, user if scope == "user" else "ip", inst_id if per_inst else "")
        now = self._clock()
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= WINDOW_S:
            hits.popleft()
        if len(hits) >= limit:
            return False
        hits.append(now)
        return True
