"""Each task runs with the settings in force when it starts (Telegram's runtime overrides applied),
whatever other tasks of the same process read before or beside it: worker-brain runs the
reflection tasks and the cycle steps on threads that share the process's ports.

The observable: `journal_closes` reviews a closed trade, then reflects deeply if
`deep_reflection_every_trades` says one is due. The process's settings say 1000; the override
says 1. Real tasks (called in this process), real Redis and PostgreSQL, the rules brain."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.brain.ports import PlaybookProposal, Reflector, Review, TradeRecap
from trading_bot.clock import parse_iso
from trading_bot.config import Settings, load_settings
from trading_bot.domain.playbook import Playbook
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline import tasks
from trading_bot.pipeline.ports import Ports
from trading_bot.runtime_config import set_override
from trading_bot.storage.db import Database
from trading_bot.storage.models import ReflectionLog, Trade
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys

pytestmark = [pytest.mark.shared]
START = parse_iso("2025-06-01T00:00:00Z")
DATA = "data/okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
WAIT_SECONDS = 10


@pytest.fixture
def base(settings: Settings) -> Settings:
    """The process's settings (environment): a deep reflection every 1000 trades, or 1000 hours."""
    return load_settings(database_url=settings.database_dsn().replace("+psycopg", ""),
                         redis_url=settings.redis_url, redis_namespace=settings.redis_namespace,
                         brain_mode="rules", deep_reflection_every_trades=1000, deep_reflection_every_hours=1000)


@pytest.fixture
def process_ports(shared_dir: Path, base: Settings, database: Database, monkeypatch: pytest.MonkeyPatch) -> Ports:
    """The worker process's ports, built once from its settings, as `live_ports` builds them."""
    exchange = InProcessExchange(build_venue(SimSpec(data=[str(shared_dir / DATA)], start=START, speed=0), START))
    ports = inprocess_ports(base, exchange, database, "live")
    monkeypatch.setattr(tasks, "get_settings", lambda: base)
    monkeypatch.setattr(tasks, "live_ports", lambda settings: ports)
    _closed_trade(database, exit_ts=START - timedelta(hours=1))
    return ports


def test_journal_closes_reads_the_runtime_overrides(base: Settings, process_ports: Ports,
                                                    database: Database) -> None:
    _override(base, "deep_reflection_every_trades", "1")
    tasks.journal_closes()
    assert _reviews(database) == 1
    assert _deep_reflections(database) == 1, "the override (1 trade) applies, not the environment's 1000"


def test_a_task_keeps_its_settings_while_another_thread_reads_others(
        base: Settings, process_ports: Ports, database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    reviewing, release = threading.Event(), threading.Event()
    reflector = _Paused(process_ports.brain.reflector, reviewing, release)
    paused = dataclasses.replace(process_ports, brain=dataclasses.replace(process_ports.brain, reflector=reflector))
    monkeypatch.setattr(tasks, "live_ports", lambda settings: paused)
    _override(base, "deep_reflection_every_trades", "1")
    failures: list[BaseException] = []
    journal = threading.Thread(target=_collecting(tasks.journal_closes, failures))
    journal.start()
    try:
        assert reviewing.wait(WAIT_SECONDS), "journal_closes reached the review"
        _override(base, "deep_reflection_every_trades", "reset")
        with pytest.raises(LookupError):  # a cycle step on another thread reads the settings now in force
            tasks.screen("no-such-cycle")
    finally:
        release.set()
        journal.join(WAIT_SECONDS)
    assert not journal.is_alive() and failures == []
    assert _deep_reflections(database) == 1, "journal_closes decided with the override it started with"


class _Paused:
    """The rules reflector, whose review waits until the test lets it go on."""

    def __init__(self, inner: Reflector, reached: threading.Event, release: threading.Event) -> None:
        self.inner, self.reached, self.release = inner, reached, release

    def review(self, trade: TradeRecap, playbook: Playbook, now: datetime) -> Review:
        self.reached.set()
        assert self.release.wait(WAIT_SECONDS)
        return self.inner.review(trade, playbook, now)

    def reflect(self, playbook: Playbook, trades: list[TradeRecap], reviews: list[Review],
                now: datetime) -> PlaybookProposal | None:
        return self.inner.reflect(playbook, trades, reviews, now)


def _collecting(work: Callable[[], None], failures: list[BaseException]) -> Callable[[], None]:
    def run() -> None:
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - asserted by the test's thread
            failures.append(exc)

    return run


def _override(settings: Settings, key: str, raw: str) -> None:
    set_override(settings, get_redis(settings), Keys(settings.redis_namespace), key, raw, "test", START)


def _closed_trade(db: Database, exit_ts: datetime) -> None:
    with db.session() as session:
        session.add(Trade(run_id="live", instrument="BTC-USDT-SWAP", side="long", status="closed", strategy="test",
                          leverage=Decimal(2), size=Decimal(1), notional=Decimal(100), entry_ts=exit_ts - timedelta(hours=2),
                          entry_px=Decimal(100000), stop_loss=Decimal(99000), exit_ts=exit_ts, exit_px=Decimal(99500),
                          close_reason="manual", realized_pnl=Decimal(-5), fees=Decimal("-0.1"), funding=Decimal(0),
                          net_pnl=Decimal("-5.1")))


def _reviews(db: Database) -> int:
    return _reflections(db, "post_trade")


def _deep_reflections(db: Database) -> int:
    return _reflections(db, "deep")


def _reflections(db: Database, kind: str) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ReflectionLog).where(ReflectionLog.kind == kind)))
