"""Process entry points of the two consumer roles: wait for the venue, build the feed, run it
until SIGTERM/SIGINT (then flush and exit 0). A refused key ends the process with AuthError."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Protocol

from trading_bot.config import ConfigError, Settings
from trading_bot.exchange.errors import AuthError, ExchangeUnavailable
from trading_bot.exchange.factory import build_okx
from trading_bot.exchange.okx.endpoints import OkxEndpoints, resolve_endpoints
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys

log = get_logger(__name__)
VENUE_WAIT_SECONDS = 180.0  # `trading-bot run` starts the simulator alongside the consumers


class Feed(Protocol):
    async def run(self) -> None: ...

    async def stop(self) -> None: ...


def connect_venue(settings: Settings, *, private: bool, wait_seconds: float = VENUE_WAIT_SECONDS,
                  sleep: Callable[[float], None] = time.sleep) -> tuple[OkxEndpoints, OkxRest]:
    """Resolve the venue and check it answers (and, for `private`, accepts our key); waits while
    the simulator is still starting. AuthError is raised at once: waiting cannot fix a bad key."""
    deadline, delay = time.monotonic() + wait_seconds, 1.0
    while True:
        try:
            endpoints = resolve_endpoints(settings)
            exchange = build_okx(settings, endpoints)
            exchange.server_time()
            if private:
                exchange.account()
            exchange.instruments.preload(settings.instruments)
            log.info("venue_ready", venue=endpoints.venue, instruments=settings.instruments)
            return endpoints, exchange
        except AuthError:
            raise
        except (ConfigError, ExchangeUnavailable) as exc:
            if time.monotonic() + delay > deadline:
                raise
            log.warning("venue_not_ready", error=str(exc), retry_in_seconds=delay)
            sleep(delay)
            delay = min(delay * 2, 15.0)


async def serve(feed: Feed) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: loop.create_task(feed.stop()))
    await feed.run()


def run_public(settings: Settings) -> None:
    from trading_bot.ingest.public import PublicFeed

    endpoints, exchange = connect_venue(settings, private=False)
    feed = PublicFeed(exchange, Database.from_settings(settings), get_redis(settings), Keys(settings.redis_namespace),
                      endpoints, settings.instruments, oi_poll_seconds=settings.okx_oi_poll_seconds)
    try:
        asyncio.run(serve(feed))
    finally:
        exchange.close()


def run_private(settings: Settings) -> None:
    from trading_bot.ingest.private import PrivateFeed

    endpoints, exchange = connect_venue(settings, private=True)
    feed = PrivateFeed(exchange, Database.from_settings(settings), get_redis(settings), Keys(settings.redis_namespace),
                       endpoints)
    try:
        asyncio.run(serve(feed))
    finally:
        exchange.close()
