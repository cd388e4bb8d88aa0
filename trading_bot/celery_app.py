"""The Celery application. Configuration lives in the top-level `celeryconfig` module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from celery import Celery, Task, signals

from trading_bot.config import Settings
from trading_bot.logs import bind_context, clear_context

app = Celery("trading_bot")
app.config_from_object("celeryconfig")
app.autodiscover_tasks(["trading_bot.pipeline", "trading_bot.exchange", "trading_bot.backtest"], related_name="tasks",
                       force=False)


P = ParamSpec("P")
R = TypeVar("R", covariant=True)
Receiver = TypeVar("Receiver", bound=Callable[..., None])


class TaskFunction(Protocol[P, R]):
    """What `task` and `bound_task` make of a function: callable as it was, and a Celery task."""

    name: str

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...

    def apply_async(self, args: Any = None, kwargs: Any = None, **options: Any) -> Any: ...


def task(**options: Any) -> Callable[[Callable[P, R]], TaskFunction[P, R]]:
    """`app.task(**options)` with the decorated function's signature kept for the type checker."""
    decorator: Callable[[Callable[P, R]], TaskFunction[P, R]] = app.task(**options)
    return decorator


def bound_task(**options: Any) -> Callable[[Callable[Concatenate[Task, P], R]], TaskFunction[P, R]]:
    """`app.task(bind=True, **options)`: the function's first parameter is the task itself."""
    decorator: Callable[[Callable[Concatenate[Task, P], R]], TaskFunction[P, R]] = app.task(bind=True, **options)
    return decorator


def on_signal(signal: Any) -> Callable[[Receiver], Receiver]:
    """`signal.connect` as a decorator that keeps the receiver's type (it returns the receiver)."""
    def connect(receiver: Receiver) -> Receiver:
        connected: Receiver = signal.connect(receiver)
        return connected

    return connect


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


@on_signal(signals.setup_logging)
def _setup_logging(**_: Any) -> None:
    from trading_bot.config import get_settings
    from trading_bot.logs import configure_from_settings

    configure_from_settings(get_settings())


@on_signal(signals.task_prerun)
def _bind_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    clear_context()
    bind_context(task_id=task_id, task=getattr(task, "name", None))


@on_signal(signals.task_postrun)
def _unbind_task(**_: Any) -> None:
    clear_context()


@on_signal(signals.worker_process_init)
def _after_fork(**_: Any) -> None:
    # Connection pools must not be shared across fork().
    from trading_bot.storage.db import dispose_engines
    from trading_bot.storage.redis_client import close_redis_clients

    dispose_engines()
    close_redis_clients()
