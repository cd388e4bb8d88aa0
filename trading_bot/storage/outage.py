"""What a lost connection to Redis or PostgreSQL looks like to us: the errors a restart, a network
blip or a server that is not up yet raise. Callers treat them as transient (retry, keep the data,
catch up later), unlike an error in what we sent."""

from __future__ import annotations

import time
from collections.abc import Callable

from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from trading_bot.logs import get_logger

log = get_logger(__name__)

STORAGE_OUTAGE: tuple[type[Exception], ...] = (
    redis_errors.ConnectionError,  # also redis' BusyLoadingError (a restarted Redis reading its AOF)
    redis_errors.TimeoutError,
    sa_errors.OperationalError,  # server gone, restarting, refusing connections
    sa_errors.InterfaceError,
)


def is_storage_outage(exc: BaseException) -> bool:
    if isinstance(exc, sa_errors.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, STORAGE_OUTAGE)


class OutageWatch:
    """One warning when writes to a store start failing and one when they succeed again (with how
    long it was down and how many attempts failed), instead of a traceback per attempt."""

    def __init__(self, store: str, retry_seconds: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.retry_seconds = retry_seconds
        self._clock = clock
        self.down_since: float | None = None
        self.failures = 0
        self._last_failure = float("-inf")

    def retry_due(self) -> bool:
        """False while the store is down and the last attempt is younger than `retry_seconds`."""
        return self.down_since is None or self._clock() - self._last_failure >= self.retry_seconds

    def failed(self, exc: BaseException) -> None:
        self.failures += 1
        self._last_failure = self._clock()
        if self.down_since is None:
            self.down_since = self._clock()
            log.warning("storage_unavailable", store=self.store, error=f"{type(exc).__name__}: {exc}"[:300])

    def succeeded(self, **detail: object) -> None:
        if self.down_since is None:
            return
        log.warning("storage_recovered", store=self.store, down_seconds=round(self._clock() - self.down_since, 1),
                    failed_attempts=self.failures, **detail)
        self.down_since, self.failures = None, 0
