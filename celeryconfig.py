"""Celery configuration: queues, routing (in this one place), delivery guarantees.

Every task is safe to run twice (acks_late + reject_on_worker_lost give at-least-once delivery);
the execute stage looks its clOrdId up on the exchange before placing anything.
"""

from __future__ import annotations

from typing import Any

from kombu.entity import Exchange, Queue

from trading_bot.config import Settings, get_settings
from trading_bot.pipeline.schedule import beat_config

# `backtest`: the windows of `trading-bot backtest --windows`, for workers started for them alone
# (docs/backtest.md); `trading-bot run` starts none.
QUEUES = ("market", "screen", "analyze", "risk", "execute", "reflect", "maintenance", "backtest")

# Task name (or glob) -> queue. Stage tasks are named `<area>.<stage>`.
ROUTES: dict[str, dict[str, str]] = {
    "pipeline.start_cycle": {"queue": "market"},
    "pipeline.collect": {"queue": "market"},
    "pipeline.screen": {"queue": "screen"},
    "pipeline.analyze": {"queue": "analyze"},
    "pipeline.risk_check": {"queue": "risk"},
    "pipeline.execute": {"queue": "execute"},
    "pipeline.confirm": {"queue": "execute"},
    "reflect.*": {"queue": "reflect"},
    "maintenance.*": {"queue": "maintenance"},
    "market.*": {"queue": "market"},
    "backtest.*": {"queue": "backtest"},
}


def build_config(settings: Settings) -> dict[str, Any]:
    prefix = {"global_keyprefix": f"{settings.redis_namespace}:celery:"}
    # kombu sweeps for unacknowledged tasks past the visibility timeout every 10 s but scans Redis
    # only on every 10th sweep by default: a task of a killed worker would wait up to 100 s more
    transport = {"visibility_timeout": settings.celery_visibility_timeout, "unacked_restore_throttle": 1, **prefix}
    return {
        "broker_url": settings.redis_dsn(),
        "result_backend": settings.redis_dsn(),
        "broker_transport_options": transport,
        "result_backend_transport_options": dict(transport),
        "visibility_timeout": settings.celery_visibility_timeout,
        "broker_connection_retry_on_startup": True,
        "result_expires": 24 * 3600,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "event_serializer": "json",
        "timezone": "UTC",
        "enable_utc": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
        "worker_hijack_root_logger": False,
        # Each queue has its own direct exchange and routing key, so routing by queue name is exact.
        "task_queues": [Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES],
        "task_default_queue": "maintenance",
        "task_default_exchange": "maintenance",
        "task_default_routing_key": "maintenance",
        "task_routes": ROUTES,
        "beat_schedule_filename": str(settings.var_dir / "celerybeat-schedule"),
        **beat_config(settings),
    }


globals().update(build_config(get_settings()))
