"""The offline rules brain over the real BTC-USDT-SWAP 15m history (2023-01 → 2026-04, one cycle per
hour, flat book each time): every decision it emits passes the real risk gate, and it enters in
more than one regime."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.kit import risk
from trading_bot.backtest.source import precomputed_builder
from trading_bot.brain.playbook import default_playbook
from trading_bot.brain.ports import BrainContext
from trading_bot.brain.rules import RulesAnalyst
from trading_bot.domain.decision import Action
from trading_bot.market.candle_files import load_frame
from trading_bot.risk.gate import check
from trading_bot.risk.market import MarketView

CYCLE = timedelta(hours=1)
WARMUP_BARS = 200 * 16  # 200 closed 4H bars before the first cycle


@pytest.mark.shared
def test_every_rules_decision_passes_the_gate_and_entries_span_regimes(shared_dir: Path):
    frame = load_frame(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.csv.gz", "15m")
    builder = precomputed_builder(risk.BTC, frame)
    analyst, playbook, instrument = RulesAnalyst(), default_playbook(), risk.instrument()
    at, end = frame.close_time(WARMUP_BARS), frame.close_time(len(frame) - 1)
    actions, entry_regimes, rejected = Counter(), Counter(), []
    while at <= end:
        snapshot = builder.build(at)
        account = risk.account().model_copy(update={"ts": at})
        ctx = BrainContext(snapshot=snapshot, now=at, playbook=playbook, account=account)
        decision = analyst.analyze(ctx)
        actions[decision.action] += 1
        if decision.action.opens:
            entry_regimes[snapshot.timeframes["15m"].regime.label] += 1
            market = MarketView.from_snapshot(snapshot, int(CYCLE.total_seconds()), {risk.BTC: instrument}, {}, {})
            status = risk.status(day_start=at.replace(hour=0, minute=0), day_start_equity=Decimal(10000))
            verdict = check(decision, account, [], status, market, at)
            if not verdict.approved:
                rejected.append((at, verdict.rule, verdict.reason))
        at += CYCLE

    assert rejected == [], rejected[:5]
    assert actions[Action.OPEN_LONG] > 50 and actions[Action.OPEN_SHORT] > 50, actions
    assert len(entry_regimes) >= 2 and "ranging" in entry_regimes, entry_regimes
    assert set(entry_regimes) <= {"trending_up", "trending_down", "ranging"}  # never while volatile
