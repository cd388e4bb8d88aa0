"""What both consumers share: per-item error isolation and running a set of loops until stopped."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from trading_bot.exchange.okx.values import ParseError
from trading_bot.logs import get_logger, truncate

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
