"""The pipeline's ports over the in-process simulator: the same stages as live, no Celery, no
Redis, the venue's clock (backtests and tests)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from trading_bot.brain.alerts import MemoryAlerts
from trading_bot.brain.factory import build_brain
from trading_bot.brain.playbook import PlaybookStore
from trading_bot.brain.ports import Brain
from trading_bot.config import Settings
from trading_bot.domain.events import PositionClosed
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.market.exchange_source import ExchangeSource
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.pipeline.ports import MemoryEvents, Ports
from trading_bot.pipeline.wiring import pipeline_settings
from trading_bot.risk.service import RiskService
from trading_bot.risk.state import BotStateService
from trading_bot.storage.db import Database
from trading_bot.storage.streams import Keys


class VenueCloseFeed:
    """Close events straight from the in-process venue."""

    def __init__(self, exchange: InProcessExchange) -> None:
        self._exchange = exchange
        self._pending: dict[str, PositionClosed] = {}
        self._count = 0

    def pending(self) -> list[tuple[str, PositionClosed]]:
        for event in self._exchange.closed_positions():
            self._count += 1
            self._pending[str(self._count)] = event
        return list(self._pending.items())

    def done(self, handle: str) -> None:
        self._pending.pop(handle, None)

    @property
    def seen(self) -> int:
        """Close events read from the venue so far."""
        return self._count


def exchange_snapshots(exchange: InProcessExchange, lookback: int) -> Callable[[str, datetime], MarketSnapshot]:
    """Snapshots built from what the venue serves at its current time."""
    builders: dict[str, SnapshotBuilder] = {}

    def build(inst_id: str, at: datetime) -> MarketSnapshot:
        if inst_id not in builders:
            builders[inst_id] = SnapshotBuilder(ExchangeSource(inst_id, exchange), lookback=lookback)
        return builders[inst_id].build(at)

    return build


def inprocess_ports(settings: Settings, exchange: InProcessExchange, db: Database, run_id: str,
                    brain: Brain | None = None,
                    snapshot: Callable[[str, datetime], MarketSnapshot] | None = None, seed: int = 0,
                    closes: VenueCloseFeed | None = None, state: BotStateService | None = None) -> Ports:
    """`closes` and `state` default to a feed of `exchange`'s closes and the plain bot-state service."""
    clock = exchange.clock
    return Ports(
        db=db,
        exchange=exchange,
        brain=brain or build_brain(settings, db, MemoryAlerts(), clock, run_id),
        risk=RiskService(db, None, Keys(settings.redis_namespace), clock, run_id, settings.risk_limits(),
                         state),
        clock=clock,
        playbooks=PlaybookStore(db),
        events=MemoryEvents(),
        snapshot=snapshot or exchange_snapshots(exchange, settings.snapshot_bars),
        config=pipeline_settings(settings),
        closes=closes or VenueCloseFeed(exchange),
        run_id=run_id,
        rng=random.Random(seed),
    )
