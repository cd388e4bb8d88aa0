"""Liveness of long-running roles: each writes `<ns>:heartbeat:<role>` with a TTL; the health
check (`trading-bot health ROLE`, docker-compose healthchecks) reads it."""

from __future__ import annotations

import time

import redis

from trading_bot.storage.streams import Keys

HEARTBEAT_TTL_SECONDS = 90


def beat(client: redis.Redis, keys: Keys, role: str, ttl: int = HEARTBEAT_TTL_SECONDS) -> None:
    client.set(keys.custom("heartbeat", role), f"{time.time():.3f}", ex=ttl)


def age_seconds(client: redis.Redis, keys: Keys, role: str) -> float | None:
    value = client.get(keys.custom("heartbeat", role))
    return None if value is None else max(0.0, time.time() - float(value))
