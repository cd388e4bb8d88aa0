"""One reflection task at a time (pipeline/locks.reflection_turn) on the real Redis: a second task
is told at once that the turn is taken, a patient one gets it when the first ends, and a turn
whose holder died ends with its TTL."""

from __future__ import annotations

import threading
import time

from trading_bot.config import Settings
from trading_bot.pipeline.locks import reflection_turn
from trading_bot.storage.streams import Keys


def test_a_second_reflection_task_waits_its_turn_or_skips(settings: Settings, redis_client) -> None:  # noqa: ANN001
    with reflection_turn(settings) as first:
        assert first
        with reflection_turn(settings) as second:
            assert not second, "the turn is taken: a scheduled task skips"
        started = time.monotonic()
        with reflection_turn(settings, wait_seconds=0.3) as impatient:
            assert not impatient and time.monotonic() - started >= 0.15, "it waited before giving up"
        waited: list[bool] = []
        patient = threading.Thread(target=lambda: waited.append(_take(settings, wait_seconds=10)))
        patient.start()
        time.sleep(0.3)
        assert waited == [], "it waits while the turn is held"
    patient.join(timeout=10)
    assert waited == [True], "…and gets the turn once the holder is done"
    with reflection_turn(settings) as again:
        assert again, "a finished task frees the turn"


def test_a_dead_holders_turn_ends_with_its_ttl(settings: Settings, redis_client) -> None:  # noqa: ANN001
    key = Keys(settings.redis_namespace).reflection_lock()
    redis_client.set(key, "a worker that died", px=300)
    with reflection_turn(settings) as mine:
        assert not mine
    time.sleep(0.4)
    with reflection_turn(settings) as mine:
        assert mine


def _take(settings: Settings, wait_seconds: float) -> bool:
    with reflection_turn(settings, wait_seconds=wait_seconds) as mine:
        return mine
