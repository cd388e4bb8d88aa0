"""Time is injected: domain code receives a `Clock` (or `now`) and never calls datetime.now().

`SystemClock` is wall time; `ManualClock` is moved by a backtest or a test; `VenueClock` follows
the exchange's own clock (the simulator's `/public/time` in fast-forward), so cooldowns, daily
limits and schedules follow market time rather than wall time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (backtests, tests)."""

    def __init__(self, start: datetime) -> None:
        self._now = ensure_utc(start)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = ensure_utc(when)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now = self._now + delta
            return self._now


class VenueClock:
    """Follows a venue clock sampled through `fetch_ms`, extrapolated at `speed` between samples.

    The sample is refreshed at most every `refresh_seconds` of wall time, so a fast-forward
    simulator's clock is tracked without one HTTP request per `now()`; it is never behind the
    venue, ahead by at most one request's round trip (at `speed`). When a refresh fails after a
    first sample, the clock goes on extrapolating and tries again a refresh period later.
    """

    def __init__(self, fetch_ms: Callable[[], int], speed: float = 1.0, refresh_seconds: float = 2.0) -> None:
        self._fetch_ms = fetch_ms
        self._speed = speed
        self._refresh = refresh_seconds
        self._anchor_venue_ms = 0
        self._anchor_wall: float | None = None
        self._next_fetch = float("-inf")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            if time.monotonic() >= self._next_fetch:
                self._sample()
            assert self._anchor_wall is not None
            elapsed = time.monotonic() - self._anchor_wall
            venue_ms = self._anchor_venue_ms + elapsed * 1000 * self._speed
        return datetime.fromtimestamp(venue_ms / 1000, UTC)

    def _sample(self) -> None:
        # Anchored when the request leaves: the venue stamped its answer later than that, so the
        # clock runs ahead by at most one round trip and never behind. Behind, the ticker the venue
        # stamped a moment ago would look newer than `now` and a snapshot would refuse it.
        sent = time.monotonic()
        self._next_fetch = sent + self._refresh
        try:
            sample = self._fetch_ms()
        except Exception:
            if self._anchor_wall is None:
                self._next_fetch = float("-inf")
                raise  # never sampled: there is no market time to go on from
            return
        self._anchor_venue_ms, self._anchor_wall = sample, sent


def ensure_utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError(f"naive datetime {when!r}: all times must be timezone-aware UTC")
    return when.astimezone(UTC)


def from_ms(ms: int | str) -> datetime:
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def to_ms(when: datetime) -> int:
    return int(ensure_utc(when).timestamp() * 1000)


def parse_iso(text: str) -> datetime:
    """ISO-8601 with or without `Z`; a naive value is taken as UTC."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def start_of_utc_day(when: datetime) -> datetime:
    when = ensure_utc(when)
    return when.replace(hour=0, minute=0, second=0, microsecond=0)
