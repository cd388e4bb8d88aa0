"""The `telegram` role: the python-telegram-bot Application (long polling, AIORateLimiter), the
access gate, the command handlers, the alert loop and the heartbeat, under one lifecycle that the
CLI (`trading-bot telegram`) and the tests share.

The bot polls (no webhook, no open port); only one poller per token may run (Telegram answers 409
Conflict to a second one). Updates that arrived while the bot was down are processed at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta

from telegram import Update
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, TypeHandler
from trading_bot.clock import Clock
from trading_bot.config import Settings
from trading_bot.exchange.venue_clock import command_clock
from trading_bot.logs import get_logger
from trading_bot.services import heartbeat
from trading_bot.storage.models import LIVE_RUN
from trading_bot.telegram.access import gate
from trading_bot.telegram.alerts.dispatcher import AlertDispatcher
from trading_bot.telegram.commands import add_handlers, bot_commands
from trading_bot.telegram.deps import BotDeps, build_deps
from trading_bot.telegram.ptb import BotApplication
from trading_bot.telegram.settings_check import required_token

log = get_logger(__name__)
ROLE = "telegram"
HEARTBEAT_SECONDS = 15.0
RATE_LIMIT_RETRIES = 3
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def check_settings(settings: Settings) -> str:
    """The bot token (ConfigError when the role cannot work with these settings); warns when no one is admin."""
    token = required_token(settings)
    if not settings.telegram_admin_ids:
        log.warning("telegram_no_admins", detail="TELEGRAM_ADMIN_IDS is empty: nobody can /halt or /resume")
    return token


def build_application(deps: BotDeps) -> BotApplication:
    token = check_settings(deps.settings)
    builder = (ApplicationBuilder().token(token).base_url(deps.settings.telegram_base_url)
               .rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES)))
    return with_handlers(builder.build(), deps)


def with_handlers(application: BotApplication, deps: BotDeps, concurrent: bool = True) -> BotApplication:
    """The access gate first, then the command table, then the error log: the same for Telegram
    and the console (`console.py`)."""
    application.add_handler(TypeHandler(Update, gate(deps.access)), group=-1)
    add_handlers(application, deps, concurrent=concurrent)
    application.add_error_handler(_on_error)
    return application


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("telegram_error", error=repr(context.error), exc_info=context.error)


class TelegramBot:
    def __init__(self, deps: BotDeps, poll_timeout: float = 10.0, alert_block_ms: int = 1000) -> None:
        self.deps = deps
        self.application = build_application(deps)
        self.poll_timeout = poll_timeout
        self.alert_block_ms = alert_block_ms
        self.dispatcher: AlertDispatcher | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands(bot_commands())
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=timedelta(seconds=self.poll_timeout), bootstrap_retries=5,
                                        allowed_updates=ALLOWED_UPDATES)
        self.dispatcher = AlertDispatcher(self.deps, app.bot, block_ms=self.alert_block_ms)
        self._tasks = [asyncio.create_task(self.dispatcher.run(self._stop), name="telegram-alerts"),
                       asyncio.create_task(self._heartbeat(), name="telegram-heartbeat")]
        log.info("telegram_started", bot=app.bot.username, chats=len(self.deps.access.chat_ids),
                 admins=len(self.deps.access.admin_ids))

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        log.info("telegram_stopped")

    def alive(self) -> bool:
        updater = self.application.updater
        return bool(updater and updater.running) and all(not task.done() for task in self._tasks)

    async def _heartbeat(self) -> None:
        while not self._stop.is_set():
            if self.alive():
                await asyncio.to_thread(heartbeat.beat, self.deps.redis, self.deps.keys, ROLE)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), HEARTBEAT_SECONDS)


    async def until(self, stop: asyncio.Event) -> None:
        """Wait for `stop`; a background task that dies (a bug) ends the wait and is re-raised,
        so the process exits and its supervisor restarts it rather than half-working on."""
        waiter = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait([waiter, *self._tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for task in done:
            died = None if task is waiter else task.exception()
            if died is not None:
                log.error("telegram_task_died", task=task.get_name(), error=repr(died))
                raise died


def telegram_clock(settings: Settings) -> Clock:
    """The bot's clock (market time on the simulator), the last recorded time while the venue is down."""
    from trading_bot.storage.db import Database
    from trading_bot.storage.repos.recorded_time import last_recorded_time

    db = Database.from_settings(settings)
    return command_clock(settings, lambda: last_recorded_time(db, LIVE_RUN))


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT."""
    bot = TelegramBot(build_deps(settings, telegram_clock(settings)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await bot.start()
    try:
        await bot.until(stop)
    finally:
        await bot.stop()
