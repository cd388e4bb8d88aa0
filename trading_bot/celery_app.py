"""The Celery application. Configuration lives in the top-level `celeryconfig` module."""

from __future__ import annotations

from typing import Any

from celery import Celery, signals

from trading_bot.config import Settings
from trading_bot.logs import bind_context, clear_context

app = Celery("trading_bot")
app.config_from_object("celeryconfig")
app.autodiscover_tasks(["trading_bot.pipeline", "trading_bot.exchange", "trading_bot.backtest"], related_name="tasks",
                       force=False)


def configure(settings: Settings) -> Celery:
    """Re-point the app at other settings (tests, embedded runs with computed URLs)."""
    from celeryconfig import build_config

    app.conf.update(build_config(settings))
    # Connections already pooled keep the old broker options (the namespace's key prefix): drop them,
    # or the next message would still go to the previous namespace's queues.
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    # The result backend is cached too, with the previous namespace's key prefix: a result asked
    # for after re-configuring would be awaited under the old keys and never arrive.
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)
    return app


@signals.setup_logging.connect
def _setup_logging(**_: Any) -> None:
    from trading_bot.config import get_settings
    from trading_bot.logs import configure_from_settings

    configure_from_settings(get_settings())


@signals.task_prerun.connect
def _bind_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    clear_context()
    bind_context(task_id=task_id, task=getattr(task, "name", None))


@signals.task_postrun.connect
def _unbind_task(**_: Any) -> None:
    clear_context()


@signals.worker_process_init.connect
def _after_fork(**_: Any) -> None:
    # Connection pools must not be shared across fork().
    from trading_bot.storage.db import dispose_engines
    from trading_bot.storage.redis_client import close_redis_clients

    dispose_engines()
    close_redis_clients()
