"""A Claude-mode backtest against the local fake Messages API (real anthropic SDK, real HTTP): the
cost is announced and confirmed first, every call is recorded in the run's kept database, and
`--brain replay` reproduces the run exactly from those calls with no API call at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.integration.backtest.conftest import FUNDING, ONE_MINUTE, cycles_of
from tests.kit import services
from tests.kit.cli import clean_env, run_cli
from tests.kit.fake_anthropic import FakeAnthropic, FakeReply
from trading_bot.backtest.database import database_name_for
from trading_bot.backtest.outputs import read_trades
from trading_bot.backtest.report import load_report_data
from trading_bot.brain.playbook import default_playbook
from trading_bot.clock import parse_iso
from trading_bot.storage.db import Database, dispose_engines, engine_for
from trading_bot.storage.models import LlmCall, ReflectionLog

pytestmark = [pytest.mark.shared, pytest.mark.slow]
WINDOW = ("--from", "2026-01-05T00:00:00Z", "--to", "2026-01-05T08:00:00Z")


def responder(body: dict[str, Any]) -> FakeReply:
    """Deterministic by prompt: screens pass; long at prices ending in an even digit before the
    point, hold otherwise; fixed reviews; reflections that add one lesson."""
    title = body["output_config"]["format"]["schema"]["title"]
    if title == "ScreenAnswer":
        return FakeReply.answer({"signal": True, "reason": "worth a look"})
    if title == "ReviewAnswer":
        return FakeReply.answer({"lesson": "respect the stop", "went_well": "", "went_wrong": "", "mistake": "none"})
    if title == "ReflectAnswer":
        book = default_playbook().model_dump(mode="json")
        return FakeReply.answer({"changes": ["one more lesson"], "regimes": book["regimes"],
                                 "strategies": book["strategies"], "calibration": book["calibration"],
                                 "lessons": [{"text": "wait for the pullback", "regime": None, "strategy": None}],
                                 "notes": "fake reflection"})
    text = body["messages"][0]["content"]
    price = Decimal(re.search(r"^price: (\S+)$", text, re.M).group(1))
    if int(price) % 2:
        return FakeReply.answer({"action": "HOLD", "size_pct": 0, "leverage": 1, "entry_type": "market",
                                 "entry_price": None, "stop_loss": None, "take_profit": None, "strategy": "",
                                 "confidence": 0.4, "reasoning": f"no edge at {price}", "invalidation": "",
                                 "time_horizon": ""})
    return FakeReply.answer({"action": "OPEN_LONG", "size_pct": 3, "leverage": 2, "entry_type": "market",
                             "entry_price": float(price), "stop_loss": float(price * Decimal("0.996")),
                             "take_profit": float(price * Decimal("1.006")), "strategy": "trend_pullback",
                             "confidence": 0.7, "reasoning": f"pullback at {price}", "invalidation": "close < EMA50",
                             "time_horizon": "4h"})


@pytest.fixture
def fake() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(responder) as server:
        yield server


@pytest.fixture
def kept(pg_admin_url: str) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    dispose_engines()
    for run_id in names:
        services.drop_database(pg_admin_url, database_name_for(run_id))


def _db(pg_admin_url: str, run_id: str) -> Database:
    url = services.database_url(pg_admin_url, database_name_for(run_id))
    return Database(engine_for(url.replace("postgresql://", "postgresql+psycopg://")))


def test_claude_run_is_recorded_and_replays_exactly_for_free(shared_dir: Path, db_url: str, pg_admin_url: str,
                                                             fake: FakeAnthropic, kept: list[str],
                                                             tmp_path: Path) -> None:
    data = ["--data", str(shared_dir / "data" / ONE_MINUTE), "--funding", str(shared_dir / "data" / FUNDING)]
    env = clean_env(DATABASE_URL=db_url, ANTHROPIC_API_KEY=fake.api_key, ANTHROPIC_BASE_URL=fake.base_url,
                    DEEP_REFLECTION_EVERY_TRADES="2", LLM_MAX_RETRIES="0")

    asked = run_cli("backtest", *data, *WINDOW, "--brain", "claude", "--run-id", "bt-ask", env=env)
    assert asked.returncode != 0 and "32 cycles" in asked.stdout and "estimated $" in asked.stdout
    assert "training cutoff" not in asked.stderr  # 2026 is after the default MODEL_TRAINING_CUTOFF
    assert not fake.requests, "nothing is spent before the confirmation"

    kept.append("bt-claude")
    recorded = run_cli("backtest", *data, *WINDOW, "--brain", "claude", "--yes", "--run-id", "bt-claude",
                       "--out", str(tmp_path / "claude"), env=env, timeout=600)
    assert recorded.returncode == 0, recorded.stderr[-3000:]
    calls = len(fake.requests)
    source = _db(pg_admin_url, "bt-claude")
    with source.session() as session:
        assert session.scalar(select(func.count()).select_from(LlmCall).where(LlmCall.replayed.is_(False))) == calls
        assert session.scalar(select(func.count()).select_from(ReflectionLog).where(ReflectionLog.kind == "deep")) >= 1
    claude_trades = read_trades(tmp_path / "claude" / "trades.csv")
    assert len(claude_trades) >= 2

    kept.append("bt-replay")
    replay_env = {**env, "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}  # no server there: any call would fail
    replayed = run_cli("backtest", *data, *WINDOW, "--brain", "replay", "--replay", "bt-claude", "--keep",
                       "--run-id", "bt-replay", "--out", str(tmp_path / "replay"), env=replay_env, timeout=600)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    assert len(fake.requests) == calls, "the replay made no API call"
    assert f"{calls} recorded calls" in replayed.stdout

    assert [(t.entry_ts, t.exit_ts, t.side, t.entry_px, t.exit_px, t.size, t.net_pnl) for t in claude_trades] == \
        [(t.entry_ts, t.exit_ts, t.side, t.entry_px, t.exit_px, t.size, t.net_pnl)
         for t in read_trades(tmp_path / "replay" / "trades.csv")]
    copy = _db(pg_admin_url, "bt-replay")
    strip = lambda rows: [{k: v for k, v in r.items() if k != "snapshot"} for r in rows]  # noqa: E731
    assert strip(cycles_of(copy, "bt-replay")) == strip(cycles_of(source, "bt-claude"))
    with copy.session() as session:
        mine = list(session.scalars(select(LlmCall).where(LlmCall.run_id == "bt-replay")))
    assert len(mine) == calls and all(c.replayed and c.cost_usd == 0 and c.error is None for c in mine)
    # a kept run has its prices: the 15m bars closing from 00:00 to 08:00, for the report's chart
    prices = load_report_data(copy, "bt-replay").prices
    assert [ts for ts, _ in prices] == [parse_iso("2026-01-05T00:00:00Z") + timedelta(minutes=15 * i)
                                        for i in range(33)]
