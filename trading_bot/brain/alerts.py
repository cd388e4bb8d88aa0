"""Where the brain's alerts go: `system:alerts` on Redis, each at most once per `once_key`.

The once-key is claimed with SET NX (with an expiry) before publishing, so several workers crossing
the same budget threshold at the same time still publish one alert. Backtests, which run without
Redis, use `MemoryAlerts`.
"""

from __future__ import annotations

from typing import Protocol

import redis

from trading_bot.domain.events import Alert
from trading_bot.logs import get_logger
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys, publish

log = get_logger(__name__)
ONCE_TTL_SECONDS = 3 * 24 * 3600


class AlertSink(Protocol):
    def emit(self, alert: Alert, once_key: str | None = None) -> bool:
        """Publish `alert`; with `once_key`, only the first emit of that key publishes. True if published."""
        ...


class RedisAlerts:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client = client
        self._keys = keys

    def emit(self, alert: Alert, once_key: str | None = None) -> bool:
        if once_key is not None:
            claimed = self._client.set(self._keys.custom("alert-once", once_key), alert.ts.isoformat(),
                                       nx=True, ex=ONCE_TTL_SECONDS)
            if not claimed:
                return False
        publish(self._client, self._keys, SYSTEM_ALERTS, alert)
        log.warning("alert", severity=alert.severity, kind=alert.kind, message=alert.message)
        return True


class MemoryAlerts:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self._seen: set[str] = set()

    def emit(self, alert: Alert, once_key: str | None = None) -> bool:
        if once_key is not None:
            if once_key in self._seen:
                return False
            self._seen.add(once_key)
        self.alerts.append(alert)
        return True
