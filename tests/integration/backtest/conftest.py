"""Backtests in this process over a real PostgreSQL: run a window, read back what every cycle saw
and decided."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from tests.kit import services
from trading_bot.backtest.runner import Backtest, BacktestOutcome, BacktestSpec, prepare, run
from trading_bot.clock import parse_iso
from trading_bot.config import Settings
from trading_bot.storage.db import Database, dispose_engines, engine_for
from trading_bot.storage.models import DecisionCycle, Trade

INST = "BTC-USDT-SWAP"
ONE_MINUTE = "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather"
FUNDING = "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather"


@dataclass
class Ran:
    backtest: Backtest
    outcome: BacktestOutcome
    db: Database


def cycles_of(db: Database, run_id: str) -> list[dict[str, Any]]:
    """What each cycle saw and decided, without the ids that name the run."""
    with db.session() as session:
        rows = session.scalars(select(DecisionCycle).where(DecisionCycle.run_id == run_id)
                               .order_by(DecisionCycle.scheduled_for)).all()
    return [{"at": r.scheduled_for, "outcome": r.outcome, "snapshot": r.snapshot, "screener": r.screener_signal,
             "decision": {k: v for k, v in (r.decision or {}).items() if k != "cycle_id"},
             "approved": r.approved, "verdict": r.verdict} for r in rows]


def trades_of(db: Database, run_id: str) -> list[Trade]:
    with db.session() as session:
        return list(session.scalars(select(Trade).where(Trade.run_id == run_id).order_by(Trade.entry_ts)).all())


@pytest.fixture
def backtest_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"brain_mode": "rules"})


@pytest.fixture
def run_window(backtest_settings: Settings, pg_admin_url: str, migrated_template: str) -> Iterator[Callable[..., Ran]]:
    """Each run in a fresh database of its own, as `trading-bot backtest` does (the playbook is global)."""
    names: list[str] = []

    def go(data: list[str], start: str, end: str, run_id: str, settings: Settings | None = None) -> Ran:
        names.append(services.create_database(pg_admin_url, prefix="tb_bt", template=migrated_template))
        url = services.database_url(pg_admin_url, names[-1]).replace("postgresql://", "postgresql+psycopg://")
        db = Database(engine_for(url))
        spec = BacktestSpec(data=data, instrument=INST, start=parse_iso(start), end=parse_iso(end), run_id=run_id)
        backtest = prepare(spec, settings or backtest_settings, db)
        return Ran(backtest, run(backtest), db)

    yield go
    dispose_engines()
    for name in names:
        services.drop_database(pg_admin_url, name)


def upto(rows: list[dict[str, Any]], when: datetime) -> list[dict[str, Any]]:
    return [r for r in rows if r["at"] <= when]
