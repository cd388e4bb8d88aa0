"""Build the process's `Exchange` from settings: OKX REST for demo keys, or the local simulator."""

from __future__ import annotations

from trading_bot.config import Settings
from trading_bot.exchange.okx.endpoints import OkxEndpoints, resolve_endpoints
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.okx.retry import RetryPolicy
from trading_bot.exchange.okx.transport import OkxTransport


def build_okx(settings: Settings, endpoints: OkxEndpoints | None = None) -> OkxRest:
    """The REST adapter for the configured venue; instruments are loaded on first use and cached."""
    transport = OkxTransport(
        endpoints or resolve_endpoints(settings),
        timeout_seconds=settings.okx_timeout_seconds,
        policy=RetryPolicy(attempts=settings.okx_max_retries + 1),
    )
    return OkxRest(transport)
