"""Retry with exponential backoff and full jitter, only for errors that are safe to retry.

Safe: `RateLimited` (the request was refused, nothing happened; wait at least one OKX rate
window) and `ExchangeUnavailable` (network failure before sending, 5xx, 50001, non-JSON body).
The transport turns every ambiguous failure of a non-idempotent write (timeout, 5xx, 50004)
into `OutcomeUnknown`, which is never retried here: the caller looks the clOrdId up first.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from trading_bot.exchange.errors import ExchangeError, RateLimited
from trading_bot.logs import get_logger

T = TypeVar("T")
log = get_logger(__name__)

RATE_LIMIT_PAUSE_SECONDS = 2.0  # OKX counts requests per 2-second window


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ExchangeError) and exc.retryable


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # first try included
    initial_seconds: float = 0.25
    max_seconds: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(max, initial × 2^(attempt-1))]."""
        ceiling = min(self.max_seconds, self.initial_seconds * 2 ** (attempt - 1))
        return self.rng.uniform(0, ceiling)

    def wait(self, state: RetryCallState) -> float:
        delay = self.backoff(state.attempt_number)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RateLimited):
            delay = max(delay, RATE_LIMIT_PAUSE_SECONDS)
        return delay

    def call(self, fn: Callable[[], T], what: str = "") -> T:
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.attempts),
            wait=self.wait,
            sleep=self.sleep,
            reraise=True,
            before_sleep=lambda state: _log_retry(state, what),
        )
        return retrying(fn)


def _log_retry(state: RetryCallState, what: str) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.warning(
        "okx_retry", call=what, attempt=state.attempt_number, error=str(error),
        wait_seconds=round(state.next_action.sleep, 3) if state.next_action else None,
    )


NO_RETRY = RetryPolicy(attempts=1)
