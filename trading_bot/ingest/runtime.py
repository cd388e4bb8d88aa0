"""What both consumers share: per-item error isolation, running loops until stopped, heartbeats."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import redis

from trading_bot.exchange.okx.values import ParseError
from trading_bot.logs import get_logger, truncate
from trading_bot.services import heartbeat
from trading_bot.storage.outage import OutageWatch, is_storage_outage
from trading_bot.storage.streams import Keys

log = get_logger(__name__)


def for_each_item(message: dict[str, Any], handle: Callable[[Any], object]) -> None:
    """Apply `handle` to every `data` item; a malformed item is logged and skipped, not the rest."""
    for item in message.get("data") or []:
        try:
            handle(item)
        except (ParseError, ValueError, TypeError, KeyError) as exc:
            log.warning("ws_item_malformed", channel=message.get("arg", {}).get("channel"), error=str(exc),
                        raw=truncate(item, 300))


async def run_loops(loops: list[Coroutine[Any, Any, Any]], stopped: asyncio.Event) -> None:
    """Run `loops` until `stopped` is set; the first loop that fails ends them all and re-raises."""
    tasks = [asyncio.create_task(loop) for loop in loops]
    stop = asyncio.create_task(stopped.wait())
    try:
        done, _ = await asyncio.wait([*tasks, stop], return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if task is not stop:
                task.result()
    finally:
        for task in [*tasks, stop]:
            task.cancel()
        await asyncio.gather(*tasks, stop, return_exceptions=True)


async def heartbeat_loop(client: redis.Redis, keys: Keys, role: str, alive: Callable[[], bool],
                         every: float = 10.0) -> None:
    """Write the role's heartbeat (see `trading-bot health`) while `alive()`: first as soon as it
    is, then every `every` seconds. A consumer whose sockets are down stops beating; one that cannot
    reach Redis keeps trying (its feeds keep what they cannot write meanwhile)."""
    last = float("-inf")
    outage = OutageWatch("redis")
    while True:
        now = time.monotonic()
        if alive() and now - last >= every:
            try:
                await asyncio.to_thread(heartbeat.beat, client, keys, role)
            except Exception as exc:
                if not is_storage_outage(exc):
                    raise
                outage.failed(exc)
            else:
                outage.succeeded()
                last = now
        await asyncio.sleep(0.5)
