"""python-okx underneath: one client per API family, our timeout, rate limits, retries and typed
errors on top (the SDK itself never raises on OKX errors and hides the HTTP status).

Every call names its endpoint path (for the rate limiter and error messages) and whether it is
idempotent. For a non-idempotent write (placing an order or an algo order) every ambiguous
failure — a read timeout, a dropped connection after sending, 5xx, 50004, a non-JSON body —
becomes `OutcomeUnknown`: the order may exist, so nothing may resend it blindly.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
from okx.Account import AccountAPI
from okx.MarketData import MarketAPI
from okx.PublicData import PublicAPI
from okx.Trade import TradeAPI

from trading_bot.exchange.errors import ExchangeError, ExchangeUnavailable, OutcomeUnknown
from trading_bot.exchange.okx.endpoints import OkxEndpoints
from trading_bot.exchange.okx.envelope import unwrap
from trading_bot.exchange.okx.ratelimit import RateLimiter
from trading_bot.exchange.okx.retry import RetryPolicy
from trading_bot.logs import truncate

NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class OkxTransport:
    def __init__(
        self,
        endpoints: OkxEndpoints,
        timeout_seconds: float = 10.0,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.endpoints = endpoints
        self.limiter = limiter or RateLimiter()
        self.policy = policy or RetryPolicy()
        self._last = threading.local()
        creds = endpoints.credentials
        private = (creds.api_key, creds.secret_key, creds.passphrase) if creds else ("-1", "-1", "-1")
        common: dict[str, Any] = {"flag": endpoints.flag, "domain": endpoints.rest_url, "debug": False}
        self.market = MarketAPI(**common)
        self.public = PublicAPI(**common)
        self.account = AccountAPI(*private, **common)
        self.trade = TradeAPI(*private, **common)
        for client in self.clients:
            client.timeout = httpx.Timeout(timeout_seconds)
            client.event_hooks = {"request": [], "response": [self._remember]}

    @property
    def clients(self) -> tuple[httpx.Client, ...]:
        return (self.market, self.public, self.account, self.trade)

    def close(self) -> None:
        for client in self.clients:
            client.close()

    def _remember(self, response: httpx.Response) -> None:
        self._last.response = response

    def call(
        self, path: str, fn: Callable[..., Any], *args: Any, inst_id: str | None = None,
        idempotent: bool = True, **kwargs: Any,
    ) -> list[Any]:
        """Rate-limited, retried call of a python-okx method; returns the response's `data`."""

        def attempt() -> list[Any]:
            self.limiter.acquire(path, inst_id)
            return self._once(path, idempotent, fn, *args, **kwargs)

        return self.policy.call(attempt, what=path)

    def _once(self, path: str, idempotent: bool, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> list[Any]:
        self._last.response = None
        try:
            payload = fn(*args, **kwargs)
        except NOT_SENT as exc:
            raise ExchangeUnavailable("network", f"{type(exc).__name__}: {exc}", endpoint=path) from None
        except httpx.HTTPError as exc:  # sent, but no (complete) answer: timeouts, dropped connections
            raise self._ambiguous(path, idempotent, "timeout", f"{type(exc).__name__}: {exc}") from None
        except json.JSONDecodeError:
            raise self._ambiguous(path, idempotent, str(self._status() or "invalid"),
                                  f"non-JSON response: {truncate(self._body(), 200)}") from None
        try:
            return unwrap(payload, path, self._status())
        except ExchangeError as exc:
            raise self._reclassify(exc, idempotent) from None

    def _ambiguous(self, path: str, idempotent: bool, code: str, message: str) -> ExchangeError:
        kind = ExchangeUnavailable if idempotent else OutcomeUnknown
        return kind(code, message, endpoint=path, http_status=self._status())

    @staticmethod
    def _reclassify(exc: ExchangeError, idempotent: bool) -> ExchangeError:
        if not idempotent and isinstance(exc, ExchangeUnavailable):  # 5xx / 50001 on a write: maybe done
            return OutcomeUnknown(exc.code, exc.message, endpoint=exc.endpoint, http_status=exc.http_status)
        if idempotent and isinstance(exc, OutcomeUnknown):  # 50004 on a read: just try again
            return ExchangeUnavailable(exc.code, exc.message, endpoint=exc.endpoint, http_status=exc.http_status)
        return exc

    def _status(self) -> int | None:
        response = getattr(self._last, "response", None)
        return response.status_code if response is not None else None

    def _body(self) -> str:
        response = getattr(self._last, "response", None)
        try:
            return response.text if response is not None else ""
        except httpx.ResponseNotRead:
            return ""
