"""No two cycles of one instrument overlap: a Redis lock per instrument, held by the cycle id,
with a TTL so a crashed worker cannot block the instrument for ever. No two reflection tasks
(journal closes and reviews, deep reflections) run at once either: two would review the same
trade twice and race to store the next playbook version."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import redis
from redis.exceptions import LockError

from trading_bot.config import Settings
from trading_bot.storage.streams import Keys

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""


class CycleLocks:
    def __init__(self, client: redis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._client, self._keys, self._ttl = client, keys, ttl_seconds

    def acquire(self, inst_id: str, cycle_id: str) -> bool:
        """True when the lock is ours (also when this cycle already holds it: a redelivery)."""
        key = self._keys.cycle_lock(inst_id)
        if self._client.set(key, cycle_id, nx=True, ex=self._ttl):
            return True
        return self._client.get(key) == cycle_id

    def holder(self, inst_id: str) -> str | None:
        holder = self._client.get(self._keys.cycle_lock(inst_id))
        return holder.decode() if isinstance(holder, bytes) else holder  # bytes only without decode_responses

    def release(self, inst_id: str, cycle_id: str) -> bool:
        return bool(self._client.eval(_RELEASE, 1, self._keys.cycle_lock(inst_id), cycle_id))


# A turn outlives the longest reflection task (a batch of reviews and a deep reflection, each an
# LLM call with retries); a crashed worker's turn ends with it.
REFLECTION_TURN_SECONDS = 1800


@contextmanager
def reflection_turn(settings: Settings, wait_seconds: float = 0.0) -> Iterator[bool]:
    """True while this task holds the reflection turn; False when another task held it for
    `wait_seconds` (0: do not wait; that task does the work, the next schedule any left over)."""
    from trading_bot.storage.redis_client import get_redis

    lock = get_redis(settings).lock(Keys(settings.redis_namespace).reflection_lock(), timeout=REFLECTION_TURN_SECONDS,
                                    blocking=wait_seconds > 0, blocking_timeout=wait_seconds or None)
    mine = bool(lock.acquire())
    try:
        yield mine
    finally:
        if mine:
            try:
                lock.release()
            except LockError:  # the turn expired meanwhile: nothing of ours to free
                pass


def cycle_locks(settings: Settings) -> CycleLocks:
    """The locks with a TTL of two cycle intervals (wall time) plus a minute."""
    from trading_bot.pipeline.schedule import wall_seconds
    from trading_bot.storage.redis_client import get_redis

    return CycleLocks(get_redis(settings), Keys(settings.redis_namespace),
                      ttl_seconds=int(wall_seconds(settings, settings.cycle_seconds) * 2) + 60)
