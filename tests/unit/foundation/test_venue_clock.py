"""The bot's clock on the fast-forward simulator: the venue's time, extrapolated at SIM_SPEED,
and steady through a failed refresh."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from trading_bot.clock import VenueClock, to_ms

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def test_extrapolates_at_speed_between_samples_and_resamples() -> None:
    calls: list[int] = []

    def fetch() -> int:
        calls.append(1)
        return to_ms(T0)

    clock = VenueClock(fetch, speed=600, refresh_seconds=0.2)
    first = clock.now()
    time.sleep(0.1)
    later = clock.now()
    assert len(calls) == 1
    assert 50 <= (later - first).total_seconds() <= 90  # 0.1 s of wall time at 600× ≈ 60 market s
    time.sleep(0.15)
    assert clock.now() - T0 < (later - T0)  # a fresh sample (the venue stood still) wins over extrapolation
    assert len(calls) == 2


def test_a_failed_refresh_keeps_extrapolating_and_retries_later() -> None:
    answers: list[int | Exception] = [to_ms(T0), ConnectionError("down"), to_ms(T0)]

    def fetch() -> int:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    clock = VenueClock(fetch, speed=1, refresh_seconds=0.05)
    clock.now()
    time.sleep(0.06)
    during = clock.now()  # the refresh fails: extrapolated
    assert during > T0 and answers == [to_ms(T0)]
    clock.now()
    assert answers == [to_ms(T0)]  # no new attempt inside the refresh period
    time.sleep(0.06)
    clock.now()
    assert answers == []


def test_without_any_sample_the_failure_is_raised() -> None:
    def fetch() -> int:
        raise ConnectionError("simulator not running")

    clock = VenueClock(fetch)
    with pytest.raises(ConnectionError):
        clock.now()
    with pytest.raises(ConnectionError):  # and tried again on the next call
        clock.now()


def test_the_clock_never_trails_the_venue_by_the_latency_of_its_sample() -> None:
    """The venue stamps its answer when it leaves; the answer arrives 80 ms later. Data the venue
    stamped just now must not look newer than the bot's `now` (the snapshot would refuse it)."""
    started = time.monotonic()

    def venue_ms() -> float:
        return to_ms(T0) + (time.monotonic() - started) * 1000 * 2

    def fetch() -> int:
        stamped = int(venue_ms())
        time.sleep(0.08)  # the answer's way back
        return stamped

    clock = VenueClock(fetch, speed=2, refresh_seconds=60)
    for _ in range(3):
        now, true_ms = to_ms(clock.now()), venue_ms()
        assert true_ms - 2 <= now <= true_ms + 2 * 80 + 20  # ahead by at most the round trip at 2×, never behind
        time.sleep(0.02)
