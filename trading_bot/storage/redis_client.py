"""Redis connections (one client per URL per process)."""

from __future__ import annotations

import threading

import redis

from trading_bot.config import Settings

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def redis_for(url: str) -> redis.Redis:
    with _lock:
        client = _clients.get(url)
        if client is None:
            client = redis.Redis.from_url(url, decode_responses=True, health_check_interval=30)
            _clients[url] = client
        return client


def get_redis(settings: Settings) -> redis.Redis:
    return redis_for(settings.redis_dsn())


def close_redis_clients() -> None:
    with _lock:
        for client in _clients.values():
            client.close()
        _clients.clear()
