"""Names of every Redis stream and key, and typed publish/consume helpers.

All names are prefixed with REDIS_NAMESPACE (default `tb`) so several bots (or test runs) can share
one Redis. Streams are capped with approximate MAXLEN; readers use consumer groups and acknowledge
an entry only after processing it, so a restart neither loses nor repeats messages.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from pydantic import BaseModel

STREAM_MAXLEN = 10_000

MARKET_SNAPSHOTS = "market:snapshots"
MARKET_ALERTS = "market:alerts"
TRADE_ORDERS = "trade:orders"
TRADE_FILLS = "trade:fills"
TRADE_POSITIONS = "trade:positions"
OPUS_DECISIONS = "opus:decisions"
SYSTEM_ALERTS = "system:alerts"
ALL_STREAMS = (MARKET_SNAPSHOTS, MARKET_ALERTS, TRADE_ORDERS, TRADE_FILLS, TRADE_POSITIONS, OPUS_DECISIONS, SYSTEM_ALERTS)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Keys:
    """Key builder bound to a namespace."""

    namespace: str

    def _k(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    def stream(self, name: str) -> str:
        return self._k(name)

    def ticker(self, inst_id: str) -> str:
        return self._k("latest", "ticker", inst_id)

    def books(self, inst_id: str) -> str:
        return self._k("latest", "books", inst_id)

    def funding(self, inst_id: str) -> str:
        return self._k("latest", "funding", inst_id)

    def open_interest(self, inst_id: str) -> str:
        return self._k("latest", "oi", inst_id)

    def mark_price(self, inst_id: str) -> str:
        return self._k("latest", "mark", inst_id)

    def oi_history(self, inst_id: str) -> str:
        """Sorted set of recent open-interest samples (score = sample time in ms)."""
        return self._k("history", "oi", inst_id)

    def alert_dedup(self, kind: str, inst_id: str) -> str:
        return self._k("dedup", "alert", kind, inst_id)

    def account(self) -> str:
        return self._k("latest", "account")

    def positions(self) -> str:
        return self._k("latest", "positions")

    def bot_state(self) -> str:
        return self._k("state", "bot")

    def cycle_lock(self, inst_id: str) -> str:
        return self._k("lock", "cycle", inst_id)

    def beat_lock(self) -> str:
        return self._k("lock", "beat")

    def reflection_lock(self) -> str:
        return self._k("lock", "reflection")

    def custom(self, *parts: str) -> str:
        return self._k(*parts)


def publish(client: redis.Redis, keys: Keys, stream: str, message: BaseModel, maxlen: int = STREAM_MAXLEN) -> str:
    """XADD one pydantic message as JSON under field `data`; returns the entry id."""
    entry_id = client.xadd(
        keys.stream(stream),
        {"type": type(message).__name__, "data": message.model_dump_json()},
        maxlen=maxlen,
        approximate=True,
    )
    return str(entry_id)


def ensure_group(client: redis.Redis, keys: Keys, stream: str, group: str, start: str = "0") -> None:
    try:
        client.xgroup_create(keys.stream(stream), group, id=start, mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


@dataclass(frozen=True)
class Entry:
    stream: str  # logical name, e.g. trade:fills
    entry_id: str
    type: str
    payload: dict[str, Any]


def read_group(
    client: redis.Redis,
    keys: Keys,
    streams: list[str],
    group: str,
    consumer: str,
    count: int = 50,
    block_ms: int | None = 1000,
    pending_first: bool = True,
) -> Iterator[Entry]:
    """Yield entries for this consumer: first its own unacknowledged ones (after a crash), then new."""
    for stream in streams:
        ensure_group(client, keys, stream, group)
    prefix = keys.namespace + ":"
    if pending_first:
        pending = client.xreadgroup(group, consumer, {keys.stream(s): "0" for s in streams}, count=count)
        yield from _entries(pending, prefix)
    fresh = client.xreadgroup(group, consumer, {keys.stream(s): ">" for s in streams}, count=count, block=block_ms)
    yield from _entries(fresh, prefix)


def _entries(response: object, prefix: str) -> Iterator[Entry]:
    if not response:
        return
    if not isinstance(response, list):  # RESP2 (decode_responses): [[stream, [(id, fields), …]], …]
        raise TypeError(f"unexpected XREADGROUP reply: {type(response).__name__}")
    for stream_key, items in response:
        for entry_id, fields in items:
            if not fields:
                continue
            yield Entry(
                stream=str(stream_key).removeprefix(prefix),
                entry_id=str(entry_id),
                type=fields.get("type", ""),
                payload=json.loads(fields.get("data", "{}")),
            )


def ack(client: redis.Redis, keys: Keys, entry: Entry, group: str) -> None:
    client.xack(keys.stream(entry.stream), group, entry.entry_id)


def decode(entry: Entry, model: type[M]) -> M:
    return model.model_validate(entry.payload)
