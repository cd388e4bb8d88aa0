"""The live pipeline's ports from settings: OKX REST (or the simulator over HTTP), the brain the
settings ask for, the risk service, the live snapshot builder, Redis streams. One per process;
each task runs with a copy holding its own settings (`with_settings`)."""

from __future__ import annotations

import dataclasses
import random
import threading

from trading_bot.brain.alerts import RedisAlerts
from trading_bot.brain.factory import build_brain
from trading_bot.brain.playbook import PlaybookStore
from trading_bot.config import Settings
from trading_bot.exchange.factory import shared_okx
from trading_bot.exchange.venue_clock import bot_clock
from trading_bot.market.service import collect as collect_snapshot
from trading_bot.pipeline.feeds import RedisCloseFeed, RedisEvents
from trading_bot.pipeline.ports import PipelineSettings, Ports
from trading_bot.risk.service import RiskService
from trading_bot.runtime_config import effective_settings
from trading_bot.storage.db import Database
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys

_lock = threading.Lock()
_ports: dict[int, Ports] = {}


def pipeline_settings(settings: Settings) -> PipelineSettings:
    return PipelineSettings(
        cycle_seconds=settings.cycle_seconds,
        margin_mode=settings.margin_mode,
        shadow_fraction=settings.shadow_analysis_fraction,
        deep_every_trades=settings.deep_reflection_every_trades,
        deep_every_hours=settings.deep_reflection_every_hours,
    )


def build_live_ports(settings: Settings) -> Ports:
    db = Database.from_settings(settings)
    client = get_redis(settings)
    keys = Keys(settings.redis_namespace)
    exchange = shared_okx(settings)
    clock = bot_clock(settings)
    return Ports(
        db=db,
        exchange=exchange,
        brain=build_brain(settings, db, RedisAlerts(client, keys), clock),
        risk=RiskService(db, client, keys, clock, limits=settings.risk_limits()),
        clock=clock,
        playbooks=PlaybookStore(db),
        events=RedisEvents(client, keys),
        snapshot=lambda inst_id, at: collect_snapshot(settings, inst_id, at, db, client),
        config=pipeline_settings(settings),
        closes=RedisCloseFeed(client, keys),
        rng=random.Random(),
    )


def live_ports(settings: Settings) -> Ports:
    """The process's ports (built on first use, after any fork); a task runs with
    `with_settings(live_ports(...), its settings)`."""
    with _lock:
        key = id(settings)
        if key not in _ports:
            _ports.clear()
            _ports[key] = build_live_ports(settings)
        return _ports[key]


def ports_in_force(settings: Settings) -> Ports:
    """The process's ports with Telegram's runtime overrides in force now, as a task runs: for a
    unit of work outside Celery (`trading-bot cycle`)."""
    overridden = effective_settings(settings, get_redis(settings), Keys(settings.redis_namespace))
    return with_settings(live_ports(settings), overridden)


def with_settings(ports: Ports, settings: Settings) -> Ports:
    """`ports` running with `settings` (Telegram's runtime overrides applied): a copy per unit of
    work, so a task keeps the settings it started with whatever its process's other tasks read."""
    return dataclasses.replace(ports, config=pipeline_settings(settings))
