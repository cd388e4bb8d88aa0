"""The waiting side of `backtest --windows`: check that a broker and a `backtest` worker are there,
send one task per window, and collect the windows as they finish.

Never waits forever: before sending, the broker must answer and a worker must consume the queue;
while waiting, the workers are asked every `check_every` seconds who is alive, and a window whose
worker stopped answering (or the last worker gone) ends the wait with that reason."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from trading_bot.backtest.tasks import WINDOW_TASK
from trading_bot.backtest.windows import Window, WindowError

QUEUE = "backtest"
# One process per window; a worker takes a window only when a process is free (no message waits
# reserved behind a long window, where the broker's visibility timeout would hand it out again).
WORKER_COMMAND = "celery -A trading_bot.celery_app worker -Q backtest --disable-prefetch -n backtest@%h"
STRIKES = 2  # checks in a row without an answer before a worker counts as gone
CONSUMERS = "<the backtest queue's consumers>"  # the strikes of "no worker consumes the queue"


class DispatchError(RuntimeError):
    """No broker, no worker, or the workers went away; one line."""


def check_broker(url: str, timeout: float = 2.0) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout).ping()
    except (redis.RedisError, OSError) as exc:
        raise DispatchError(f"--windows: the Celery broker (Redis, REDIS_URL or the embedded one) does not answer: "
                            f"{type(exc).__name__}; start it and a backtest worker ({WORKER_COMMAND})") from None


def workers(app: Celery, timeout: float = 1.5) -> dict[str, set[str]]:
    """Every worker that answered within `timeout`, with the queues it consumes."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    return {name: {q.get("name", "") for q in queues or []} for name, queues in replies.items()}


def backtest_workers(app: Celery, attempts: int = 2, timeout: float = 1.5) -> list[str]:
    """The workers consuming the `backtest` queue (asked twice: one may be starting); DispatchError
    when none answers."""
    for _ in range(attempts):
        found = sorted(name for name, queues in workers(app, timeout).items() if QUEUE in queues)
        if found:
            return found
    raise DispatchError(f"--windows: no Celery worker consumes the {QUEUE} queue; start one (or one per machine) "
                        f"with: {WORKER_COMMAND}")


@dataclass
class Finished:
    window: Window
    summary: dict[str, Any] | None = None  # summary.json's document
    files: dict[str, str] = field(default_factory=dict)  # name → base64
    worker: str | None = None
    error: str | None = None  # why the window has no result


def submit(app: Celery, items: Sequence[Window]) -> list[tuple[Window, AsyncResult]]:
    return [(w, app.send_task(WINDOW_TASK, args=[w.payload()])) for w in items]


def _finished(window: Window, result: AsyncResult) -> Finished:
    if result.successful():
        value = result.result
        return Finished(window, value["summary"], value["files"], value.get("worker"))
    exc = result.result
    reason = str(exc) if isinstance(exc, WindowError) else f"window {window.number}: {type(exc).__name__}: {exc}"
    return Finished(window, error=reason)


class _Watch:
    """Who is alive, asked every `every` seconds: strikes per worker that did not answer."""

    def __init__(self, app: Celery, every: float, clock: Callable[[], float]) -> None:
        self.app, self.every, self.clock = app, every, clock
        self.next = clock() + every
        self.strikes: dict[str, int] = {}

    def due(self) -> bool:
        return self.clock() >= self.next

    def gone(self, running: dict[int, str]) -> set[str]:
        """Of the workers running a window (and CONSUMERS, the queue's consumers as a whole), those
        that missed STRIKES checks in a row."""
        self.next = self.clock() + self.every
        answered = workers(self.app)
        alive = set(answered) | ({CONSUMERS} if any(QUEUE in q for q in answered.values()) else set())
        for name in {*running.values(), CONSUMERS}:
            self.strikes[name] = 0 if name in alive else self.strikes.get(name, 0) + 1
        return {name for name, count in self.strikes.items() if count >= STRIKES}


def _running(pending: dict[int, tuple[Window, AsyncResult]]) -> dict[int, str]:
    """Window → the worker that started it (task_track_started: state STARTED, meta hostname)."""
    running = {}
    for number, (_, result) in pending.items():
        meta = result.info if result.state == "STARTED" else None
        if isinstance(meta, dict) and meta.get("hostname"):
            running[number] = str(meta["hostname"])
    return running


def wait(app: Celery, sent: Sequence[tuple[Window, AsyncResult]], on_finished: Callable[[Finished], None],
         poll: float = 0.5, check_every: float = 15.0, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep) -> list[Finished]:
    """Every window's end, in the order they finish (`on_finished` sees each at once)."""
    pending = {w.number: (w, result) for w, result in sent}
    done: list[Finished] = []
    watch = _Watch(app, check_every, clock)

    def end(number: int, finished: Finished) -> None:
        pending.pop(number)[1].forget()  # the files sit in Redis until read
        done.append(finished)
        on_finished(finished)

    while pending:
        for number, (window, result) in list(pending.items()):
            if result.ready():
                end(number, _finished(window, result))
        if pending and watch.due():
            running = _running(pending)
            gone = watch.gone(running)
            if CONSUMERS in gone:
                raise DispatchError(f"--windows: no worker consumes the {QUEUE} queue any more ({len(done)} of "
                                    f"{len(sent)} windows finished); start one with: {WORKER_COMMAND}")
            for number, worker in running.items():
                if worker in gone:
                    end(number, Finished(pending[number][0], worker=worker, error=_lost(pending[number][0], worker)))
        if pending:
            sleep(poll)
    return done


def _lost(window: Window, worker: str) -> str:
    from trading_bot.backtest.database import database_name_for

    return (f"window {window.number}: its worker {worker} stopped answering while running it (its database "
            f"{database_name_for(window.run_id)} may be left on that worker's PostgreSQL server)")


def revoke(app: Celery, sent: Sequence[tuple[Window, AsyncResult]]) -> None:
    """The windows not started yet are dropped by the workers (a running one finishes)."""
    app.control.revoke([result.id for _, result in sent])
