"""Publish a stream message at most once per identity (a fill's trade id, a close's timestamp),
however often the same exchange event reaches us (WebSocket push, REST catch-up, reconnect).

A Lua script makes "remember the id" and "XADD" one atomic step, so neither a crash between
the two nor two consumers racing can publish an event twice or lose it after the mark."""

from __future__ import annotations

import redis
from pydantic import BaseModel

from trading_bot.storage.streams import STREAM_MAXLEN, Keys

DEDUP_TTL_SECONDS = 7 * 24 * 3600

_SCRIPT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'type', ARGV[3], 'data', ARGV[4])
end
return false
"""


def publish_once(
    client: redis.Redis, keys: Keys, stream: str, message: BaseModel, identity: str,
    ttl: int = DEDUP_TTL_SECONDS,
) -> str | None:
    """XADD `message` unless `identity` was published on `stream` before; returns the entry id or None."""
    marker = keys.custom("published", stream, identity)
    result = client.eval(
        _SCRIPT, 2, marker, keys.stream(stream), ttl, STREAM_MAXLEN, type(message).__name__, message.model_dump_json()
    )
    return str(result) if result else None
