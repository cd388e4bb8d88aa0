"""Client-side rate limiter and the retry policy, on a fake clock (no real sleeping)."""

import random

import pytest

from trading_bot.exchange import errors
from trading_bot.exchange.okx.ratelimit import LIMITS, WINDOW_SECONDS, RateLimiter
from trading_bot.exchange.okx.retry import RATE_LIMIT_PAUSE_SECONDS, RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_limiter_allows_the_budget_then_waits_for_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    path = "/api/v5/public/funding-rate"  # 10 per 2 s → 9 with 10 % headroom
    assert limiter.capacity(path) == 9
    for _ in range(9):
        assert limiter.acquire(path, "BTC-USDT-SWAP") == 0
    assert limiter.acquire(path, "BTC-USDT-SWAP") == pytest.approx(WINDOW_SECONDS)
    assert clock.now == pytest.approx(100 + WINDOW_SECONDS)


def test_per_instrument_limits_are_independent_but_per_ip_limits_are_shared() -> None:
    clock = FakeClock()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    for _ in range(limiter.capacity("/api/v5/trade/order")):
        limiter.acquire("/api/v5/trade/order", "BTC-USDT-SWAP")
    assert limiter.acquire("/api/v5/trade/order", "ETH-USDT-SWAP") == 0  # other instrument: own budget
    for _ in range(limiter.capacity("/api/v5/market/ticker")):
        limiter.acquire("/api/v5/market/ticker", "BTC-USDT-SWAP")
    assert limiter.acquire("/api/v5/market/ticker", "ETH-USDT-SWAP") > 0  # per IP: shared


def test_sustained_rate_never_exceeds_the_published_limit_in_any_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    stamps = []
    for _ in range(200):
        limiter.acquire("/api/v5/market/candles")
        stamps.append(clock.now)
        clock.now += 0.001
    published = LIMITS["/api/v5/market/candles"].calls
    for i, start in enumerate(stamps):
        in_window = sum(1 for t in stamps[i:] if t - start < WINDOW_SECONDS)
        assert in_window <= published


def test_unknown_endpoint_gets_a_conservative_budget() -> None:
    assert RateLimiter().capacity("/api/v5/asset/balances") == 9


def _policy(clock: FakeClock, attempts: int = 4) -> RetryPolicy:
    return RetryPolicy(attempts=attempts, initial_seconds=0.5, max_seconds=4, sleep=clock.sleep, rng=random.Random(1))


def test_retries_unavailable_with_growing_capped_jittered_backoff() -> None:
    clock, calls = FakeClock(), []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 4:
            raise errors.ExchangeUnavailable("50001", "Service temporarily unavailable")
        return "ok"

    assert _policy(clock).call(flaky) == "ok" and len(calls) == 4
    ceilings = [0.5, 1.0, 2.0]
    assert all(0 <= s <= c for s, c in zip(clock.slept, ceilings, strict=True))


def test_rate_limited_waits_at_least_one_okx_window() -> None:
    clock, calls = FakeClock(), []

    def limited() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise errors.RateLimited("50011", "Too Many Requests", http_status=429)
        return "ok"

    assert _policy(clock).call(limited) == "ok"
    assert clock.slept == [RATE_LIMIT_PAUSE_SECONDS]


@pytest.mark.parametrize("error", [
    errors.OutcomeUnknown("50004", "timeout"),
    errors.InsufficientMargin("51008", "Insufficient USDT margin"),
    errors.AuthError("50113", "Invalid signature"),
    errors.NotFound("51603", "Order does not exist"),
])
def test_unsafe_or_final_errors_are_never_retried(error: errors.ExchangeError) -> None:
    clock, calls = FakeClock(), []

    def fails() -> None:
        calls.append(1)
        raise error

    with pytest.raises(type(error)):
        _policy(clock).call(fails)
    assert len(calls) == 1 and clock.slept == []


def test_gives_up_after_the_last_attempt_with_the_original_error() -> None:
    clock = FakeClock()

    def down() -> None:
        raise errors.ExchangeUnavailable("network", "ConnectError")

    with pytest.raises(errors.ExchangeUnavailable, match="ConnectError"):
        _policy(clock, attempts=3).call(down)
    assert len(clock.slept) == 2
