"""The real Telegram bot (`TelegramBot`: PTB Application polling + alert loop + heartbeat) on its
own event loop in a background thread, so tests stay synchronous and can block on the fake Bot API."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from trading_bot.telegram.app import TelegramBot
from trading_bot.telegram.deps import BotDeps


class RunningBot:
    def __init__(self, deps: BotDeps, poll_timeout: float = 0.5, alert_block_ms: int = 100) -> None:
        self.deps = deps
        self._poll_timeout = poll_timeout
        self._block_ms = alert_block_ms
        self._started: Future[TelegramBot] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="telegram-bot", daemon=True)
        self.error: BaseException | None = None

    @property
    def bot(self) -> TelegramBot:
        return self._started.result(timeout=0)

    def __enter__(self) -> RunningBot:
        self._thread.start()
        self._started.result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the bot did not stop within 30 s"

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        try:
            bot = TelegramBot(self.deps, poll_timeout=self._poll_timeout, alert_block_ms=self._block_ms)
            await bot.start()
        except BaseException as exc:
            self._started.set_exception(exc)
            return
        self._started.set_result(bot)
        try:
            await bot.until(self._stop)
        except BaseException as exc:  # surfaced by tests that check `error`
            self.error = exc
        finally:
            await bot.stop()
