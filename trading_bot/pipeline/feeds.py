"""Live adapters of the pipeline's event ports: Redis streams out, ws-private's close events in."""

from __future__ import annotations

import os
import socket

import redis
from pydantic import BaseModel

from trading_bot.domain.events import PositionClosed
from trading_bot.storage import streams
from trading_bot.storage.streams import TRADE_POSITIONS, Keys

JOURNAL_GROUP = "journal"


class RedisEvents:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._client, self._keys = client, keys

    def publish(self, stream: str, message: BaseModel) -> None:
        streams.publish(self._client, self._keys, stream, message)


class RedisCloseFeed:
    """`position_closed` events from `trade:positions` through the `journal` consumer group: an
    entry is acknowledged once journaled, so a crash in between only makes it come back."""

    def __init__(self, client: redis.Redis, keys: Keys, consumer: str | None = None) -> None:
        self._client, self._keys = client, keys
        self._consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self._entries: dict[str, streams.Entry] = {}

    def pending(self) -> list[tuple[str, PositionClosed]]:
        found: list[tuple[str, PositionClosed]] = []
        for entry in streams.read_group(self._client, self._keys, [TRADE_POSITIONS], JOURNAL_GROUP, self._consumer,
                                        count=100, block_ms=None):
            if entry.type != PositionClosed.__name__:
                streams.ack(self._client, self._keys, entry, JOURNAL_GROUP)  # open/flat updates: not ours
                continue
            self._entries[entry.entry_id] = entry
            found.append((entry.entry_id, streams.decode(entry, PositionClosed)))
        return found

    def done(self, handle: str) -> None:
        entry = self._entries.pop(handle, None)
        if entry is not None:
            streams.ack(self._client, self._keys, entry, JOURNAL_GROUP)
