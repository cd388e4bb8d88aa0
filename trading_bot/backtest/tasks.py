"""The Celery task of `backtest --windows`: one window, on the `backtest` queue (routes in
celeryconfig.py), started by `celery -A trading_bot.celery_app worker -Q backtest --disable-prefetch`
(`dispatch.WORKER_COMMAND`). Every worker discovers this module, so it imports nothing heavy.

Delivery differs from the pipeline's tasks on purpose: a window runs for minutes to hours, longer
than the broker's visibility timeout, after which Redis hands an unacknowledged message to another
worker. So the message is acknowledged when the window starts (`acks_late=False`), and a second
delivery of the same task (a message a worker had reserved but not started) is dropped by a claim
in Redis. A window whose worker dies is lost, not redone: the waiting command sees its worker
gone and reports that window failed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from celery import Task
from celery.exceptions import Ignore

from trading_bot.celery_app import bound_task
from trading_bot.config import Settings, get_settings

WINDOW_TASK = "backtest.window"
CLAIM_SECONDS = 7 * 24 * 3600  # longer than a duplicate delivery can trail the first


@bound_task(name=WINDOW_TASK, acks_late=False, max_retries=0)
def run_window_task(self: Task, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the window `payload` (windows.Window.payload) here; its summary, files and this worker."""
    from trading_bot.backtest.window_run import run_window
    from trading_bot.backtest.windows import Window
    from trading_bot.clock import SystemClock

    settings = get_settings()
    if not _claim(settings, self.request.id, self.request.hostname or ""):
        raise Ignore()  # another delivery of this task runs it already: record nothing
    window = Window.from_payload(payload)
    with _quiet(settings):
        result = run_window(window, settings, SystemClock().now())
    return {**result, "worker": self.request.hostname}


def _claim(settings: Settings, task_id: str, worker: str) -> bool:
    from trading_bot.storage.redis_client import get_redis
    from trading_bot.storage.streams import Keys

    key = Keys(settings.redis_namespace).custom("backtest", "window", task_id)
    return bool(get_redis(settings).set(key, worker, nx=True, ex=CLAIM_SECONDS))


@contextmanager
def _quiet(settings: Settings) -> Iterator[None]:
    """Warnings only while the window runs, as `trading-bot backtest` without --verbose: a log line
    per stage of every cycle would drown the worker's log and cost time."""
    from trading_bot.logs import configure_from_settings

    configure_from_settings(settings.model_copy(update={"log_level": "WARNING"}))
    try:
        yield
    finally:
        configure_from_settings(settings)
