"""What the bot's views and alert loop use: the same services the CLI and the pipeline use
(database, Redis, the risk gate's bot state service, the brain's researcher, Celery), built once
per process."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import redis

from trading_bot.brain.ports import Researcher
from trading_bot.clock import Clock, SystemClock
from trading_bot.config import Settings
from trading_bot.risk.state import BotStateService
from trading_bot.runtime_config import effective_settings
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys
from trading_bot.telegram.access import Access


@dataclass
class BotDeps:
    settings: Settings
    db: Database
    redis: redis.Redis
    keys: Keys
    clock: Clock
    access: Access
    state: BotStateService  # the risk gate's bot state (halt, resume, what is in force)
    send_task: Callable[..., Any]  # celery's app.send_task
    reschedule: Callable[[Settings], list[str]]  # rewrites beat's cycle entries (pipeline/schedule.py)
    researcher_factory: Callable[[], Researcher]
    run_id: str = LIVE_RUN
    _researcher: Researcher | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def now(self) -> datetime:
        return self.clock.now()

    def live_settings(self) -> Settings:
        """Settings with the runtime overrides of /config applied (see runtime_config.py)."""
        return effective_settings(self.settings, self.redis, self.keys)

    def researcher(self) -> Researcher:
        """Built on first use: loading prices and the calendar is not worth it for a bot nobody asks."""
        with self._lock:
            if self._researcher is None:
                self._researcher = self.researcher_factory()
            return self._researcher


def celery_client(settings: Settings) -> Any:
    """A Celery client of its own, configured from these settings (celeryconfig's queues, routes
    and RedBeat store): tasks are sent by name, and the process-wide app stays untouched."""
    from celery import Celery

    from celeryconfig import build_config

    client = Celery("trading_bot.telegram")
    client.conf.update(build_config(settings))
    return client


def build_deps(settings: Settings, clock: Clock | None = None, access: Access | None = None) -> BotDeps:
    from trading_bot.brain.alerts import RedisAlerts
    from trading_bot.brain.factory import build_brain
    from trading_bot.pipeline.schedule import reschedule_cycles

    db = Database.from_settings(settings)
    client = get_redis(settings)
    keys = Keys(settings.redis_namespace)
    clock = clock or SystemClock()
    celery = celery_client(settings)

    def researcher() -> Researcher:
        return build_brain(settings, db, RedisAlerts(client, keys), clock).researcher

    return BotDeps(settings=settings, db=db, redis=client, keys=keys, clock=clock,
                   access=access or Access.from_settings(settings), state=BotStateService(db, client, keys, clock),
                   send_task=celery.send_task, reschedule=lambda live: reschedule_cycles(celery, live),
                   researcher_factory=researcher)
