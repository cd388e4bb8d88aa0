"""/halt and /resume from Telegram act on the very next pipeline cycle: the real bot, the real
pipeline stages with the real risk gate over the in-process simulator replaying real BTC-USDT-SWAP
candles, one PostgreSQL. The brain is a stand-in that wants to go long on every cycle, so that
whether an order is placed depends on the bot state alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.telegram.conftest import ADMIN, telegram_settings
from tests.kit.brains import GoLong, looking_brain
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.clock import parse_iso
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline.flow import run_cycle
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, Order
from trading_bot.telegram.deps import build_deps

pytestmark = [pytest.mark.shared]
INST = "BTC-USDT-SWAP"
START = parse_iso("2025-06-01T00:00:00Z")
DATA = "data/okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"


def _entries(db: Database) -> list[str | None]:
    with db.session() as session:
        return list(session.scalars(select(Order.cycle_id).where(Order.purpose == "entry")))


def test_halt_stops_the_next_entry_and_resume_lets_it_through(shared_dir: Path, fake_telegram: FakeTelegram,
                                                              db_url: str, redis_url: str, namespace: str,
                                                              tmp_path: Path) -> None:
    settings = telegram_settings(fake_telegram, db_url, redis_url, namespace, tmp_path / "var", cycle_seconds=900)
    exchange = InProcessExchange(build_venue(SimSpec(data=[str(shared_dir / DATA)], start=START, speed=0), START))
    deps = build_deps(settings, exchange.clock)  # one clock: the venue's
    brain = looking_brain(GoLong(), "test: always long")
    ports = inprocess_ports(settings, exchange, deps.db, "live", brain=brain)
    slot = START

    def cycle() -> str | None:
        nonlocal slot
        slot += timedelta(minutes=15)
        exchange.advance_to(slot + timedelta(seconds=5))
        return run_cycle(ports, INST, slot)

    with RunningBot(deps):
        reply = fake_telegram.reply_to("/halt testing the switch", ADMIN, expect="No new entries")
        assert reply.plain.startswith("🔴 HALTED")
        assert cycle() == "skipped_halted"  # flat and halted: the cycle ends before any LLM is paid for
        assert exchange.positions() == [] and exchange.pending_orders() == [] and _entries(deps.db) == []
        with deps.db.session() as session:
            (halted,) = session.scalars(select(DecisionCycle)).all()
        assert halted.timeline[0]["detail"]["bot_state"] == "HALTED" and halted.decision is None

        fake_telegram.reply_to("/resume", ADMIN, expect="Entries are allowed")
        assert cycle() == "filled"
    (position,) = exchange.positions()
    assert position.side == "long" and position.inst_id == INST
    algos = exchange.pending_algo_orders(INST)
    assert any(a.sl_trigger_px for a in algos) and any(a.tp_trigger_px for a in algos)
    assert len(_entries(deps.db)) == 1
