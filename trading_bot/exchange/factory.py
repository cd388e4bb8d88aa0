"""Build the process's `Exchange` from settings: OKX REST for demo keys, or the local simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trading_bot.config import Settings
from trading_bot.exchange.okx.endpoints import OkxEndpoints, resolve_endpoints

if TYPE_CHECKING:
    from trading_bot.exchange.okx.rest import OkxRest


def build_okx(settings: Settings, endpoints: OkxEndpoints | None = None) -> OkxRest:
    """The REST adapter for the configured venue; instruments are loaded on first use and cached."""
    # python-okx and httpx load only here: a command that reads the simulator's clock while it is
    # down (shared_okx: no credentials file) falls back without them, and one on OKX never needs them
    from trading_bot.exchange.okx.rest import OkxRest
    from trading_bot.exchange.okx.retry import RetryPolicy
    from trading_bot.exchange.okx.transport import OkxTransport

    transport = OkxTransport(
        endpoints or resolve_endpoints(settings),
        timeout_seconds=settings.okx_timeout_seconds,
        policy=RetryPolicy(attempts=settings.okx_max_retries + 1),
    )
    return OkxRest(transport)


_shared: dict[tuple[str, str, str], OkxRest] = {}


def shared_okx(settings: Settings) -> OkxRest:
    """One adapter per venue per process (Celery workers reuse it across tasks; its HTTP
    connection pools and instrument cache are thread-safe)."""
    endpoints = resolve_endpoints(settings)
    key = (endpoints.rest_url, endpoints.flag, endpoints.credentials.api_key if endpoints.credentials else "")
    if key not in _shared:
        _shared[key] = build_okx(settings, endpoints)
    return _shared[key]
