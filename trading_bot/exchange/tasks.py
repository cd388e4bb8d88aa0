"""Celery side of reconciliation: the `maintenance.reconcile` task (beat runs it every minute)
and a reconciliation when a worker that places orders (queue `execute`) comes up."""

from __future__ import annotations

from typing import Any

from celery import signals

from trading_bot.celery_app import on_signal, task
from trading_bot.config import Settings, get_settings
from trading_bot.logs import get_logger

log = get_logger(__name__)
RECONCILE_TASK = "maintenance.reconcile"


def reconcile_once(settings: Settings) -> dict[str, int]:
    from trading_bot.exchange.factory import shared_okx
    from trading_bot.exchange.reconcile import Reconciler, report
    from trading_bot.exchange.venue_clock import bot_clock  # market time on the simulator
    from trading_bot.storage.db import Database
    from trading_bot.storage.redis_client import get_redis
    from trading_bot.storage.streams import Keys

    findings = Reconciler(shared_okx(settings), Database.from_settings(settings), settings.okx_fallback_stop_pct).run()
    report(get_redis(settings), Keys(settings.redis_namespace), findings, bot_clock(settings).now())
    return {"findings": len(findings), "repaired": sum(f.repaired for f in findings)}


@task(name=RECONCILE_TASK, acks_late=True, expires=55, ignore_result=False)
def reconcile() -> dict[str, int]:
    """Compare the exchange with the database, repair what is safe, alert on the rest."""
    return reconcile_once(get_settings())


@on_signal(signals.worker_ready)
def _reconcile_on_start(sender: Any = None, **_: Any) -> None:
    queues = {q.name for q in getattr(getattr(sender, "task_consumer", None), "queues", []) or []}
    if "execute" not in queues:
        return
    try:
        log.info("reconcile_on_start", result=reconcile_once(get_settings()))
    except Exception as exc:  # the worker still starts; beat retries within a minute
        log.error("reconcile_on_start_failed", error=f"{type(exc).__name__}: {exc}")
