"""What the stages need, as ports: the pipeline never knows whether it trades on OKX, the HTTP
simulator or the in-process simulator, nor whether Claude or the rules brain thinks."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel

from trading_bot.brain.playbook import PlaybookStore
from trading_bot.brain.ports import Brain, TradeRecap
from trading_bot.clock import Clock
from trading_bot.domain.events import PositionClosed
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.exchange.base import Exchange
from trading_bot.risk.service import RiskService
from trading_bot.storage.db import Database


class CloseFeed(Protocol):
    def pending(self) -> list[tuple[str, PositionClosed]]:
        """Unprocessed close events with a handle each."""
        ...

    def done(self, handle: str) -> None:
        """The event behind `handle` is journaled."""
        ...


class EventSink(Protocol):
    def publish(self, stream: str, message: BaseModel) -> None: ...


@dataclass(frozen=True)
class PipelineSettings:
    cycle_seconds: int
    margin_mode: str  # isolated | cross
    shadow_fraction: float
    deep_every_trades: int
    deep_every_hours: float
    confirm_timeout_seconds: float = 30.0


@dataclass(frozen=True)
class Ports:
    """Frozen: a task runs with its own copy (`dataclasses.replace`, e.g. its settings as `config`),
    so the tasks that share a process, on worker-brain's threads too, never see each other's."""

    db: Database
    exchange: Exchange
    brain: Brain
    risk: RiskService
    clock: Clock
    playbooks: PlaybookStore
    events: EventSink
    snapshot: Callable[[str, datetime], MarketSnapshot]  # (inst_id, at) → snapshot (and its alerts)
    config: PipelineSettings
    closes: CloseFeed  # position_closed events to journal
    run_id: str = "live"
    rng: random.Random = field(default_factory=random.Random)  # shadow sampling
    # Backtests: write a cycle's stage records with its end in one statement (live: False, each
    # stage is written when it ends, so a crash mid-cycle leaves its trail)
    buffer_stages: bool = False
    # Backtests: the brain's recent trades kept between closes (live: None, read at every cycle,
    # since ws-private and other workers journal closes)
    recent_trades: RecentTradesMemo | None = None


@dataclass
class RecentTradesMemo:
    """The last read of recent closed trades, valid while `closes_journaled()` has not moved: the
    run's journal has one writer, this process, which journals a close as the feed reads it."""

    closes_journaled: Callable[[], int]
    key: tuple[int, int] | None = None  # (count, limit) of the read kept
    trades: list[TradeRecap] = field(default_factory=list)


class MemoryEvents:
    """Events kept in a list (backtests, tests)."""

    def __init__(self) -> None:
        self.items: list[tuple[str, BaseModel]] = []

    def publish(self, stream: str, message: BaseModel) -> None:
        self.items.append((stream, message))
