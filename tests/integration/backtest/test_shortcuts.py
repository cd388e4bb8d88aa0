"""The backtest's shortcuts change nothing: the same window run with them (in-memory bot state and
counters, buffered stage records, the review gate, the cached playbook, one transaction per
cycle, recent trades read again only after a close) and with the live path's
plain pieces gives the same cycles, stage trails, trades, state events, equity and reflections.
The window includes losing streaks that put the bot in COOLDOWN and out again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.backtest.conftest import INST, cycles_of, trades_of
from tests.kit import services
from trading_bot.backtest.cycle_transaction import CycleTransactionDatabase
from trading_bot.backtest.runner import BacktestSpec, plan, prepare, run
from trading_bot.brain.playbook import PlaybookStore
from trading_bot.clock import parse_iso
from trading_bot.config import Settings
from trading_bot.pipeline.flow import follow_up
from trading_bot.risk.service import RiskService
from trading_bot.storage.db import Database, engine_for
from trading_bot.storage.models import AccountSnapshot, BotStateEvent, DecisionCycle, PlaybookVersion, ReflectionLog
from trading_bot.storage.run_journal import RunJournal
from trading_bot.storage.streams import Keys

pytestmark = [pytest.mark.shared, pytest.mark.slow]
FIFTEEN = "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"


def _record(db: Database) -> dict[str, Any]:
    with db.session() as session:
        trails = [([(e["stage"], e["outcome"], e.get("detail")) for e in c.timeline], c.stage, c.cost_usd,
                   c.finished_at, c.error)
                  for c in session.scalars(select(DecisionCycle).order_by(DecisionCycle.scheduled_for))]
        states = [(e.ts, e.from_state, e.to_state, e.reason, e.until)
                  for e in session.scalars(select(BotStateEvent).order_by(BotStateEvent.id))]
        equity = [(a.ts, a.equity) for a in session.scalars(select(AccountSnapshot).order_by(AccountSnapshot.ts))]
        reflections = [(r.kind, r.created_at, r.lessons, r.playbook_version_before, r.playbook_version_after)
                       for r in session.scalars(select(ReflectionLog).order_by(ReflectionLog.id))]
        versions = [v.content for v in session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.version))]
    trades = [(t.entry_ts, t.exit_ts, t.side, t.entry_px, t.exit_px, t.size, t.net_pnl, t.close_reason)
              for t in trades_of(db, "bt-sc")]
    return {"cycles": cycles_of(db, "bt-sc"), "trails": trails, "states": states, "equity": equity,
            "reflections": reflections, "versions": versions, "trades": trades}


def test_shortcuts_give_the_same_run(shared_dir: Path, backtest_settings: Settings, pg_admin_url: str,
                                     migrated_template: str) -> None:
    settings = backtest_settings.model_copy(update={"deep_reflection_every_trades": 3})
    spec = BacktestSpec(data=[str(shared_dir / "data" / FIFTEEN)], instrument=INST,
                        start=parse_iso("2025-06-01T00:00:00Z"), end=parse_iso("2025-06-02T06:00:00Z"), run_id="bt-sc")
    records = []
    names = [services.create_database(pg_admin_url, prefix="tb_bt", template=migrated_template) for _ in range(2)]
    try:
        for name, shortcuts in zip(names, (True, False), strict=True):
            engine = engine_for(services.database_url(pg_admin_url, name).replace("postgresql://",
                                                                                 "postgresql+psycopg://"))
            db = CycleTransactionDatabase(engine, RunJournal()) if shortcuts else Database(engine)
            backtest = prepare(plan(spec), settings, db)
            if not shortcuts:  # the live path's pieces
                ports = backtest.ports
                risk = RiskService(db, None, Keys(settings.redis_namespace), ports.clock, "bt-sc", ports.risk.limits)
                backtest.ports = dataclasses.replace(ports, risk=risk, playbooks=PlaybookStore(db),
                                                     buffer_stages=False, recent_trades=None)
            run(backtest, after=None if shortcuts else follow_up)
            records.append(_record(db))
            if isinstance(db, CycleTransactionDatabase):
                db.close()
    finally:
        from trading_bot.storage.db import dispose_engines

        dispose_engines()
        for name in names:
            services.drop_database(pg_admin_url, name)
    fast, plain = records
    assert any(to == "COOLDOWN" for _, _, to, _, _ in plain["states"]), "the window exercises the state machine"
    assert len(plain["trades"]) >= 5 and plain["reflections"]
    for key in plain:
        assert fast[key] == plain[key], key
