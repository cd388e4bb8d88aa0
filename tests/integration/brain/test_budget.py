"""The daily budget governor: WARN once at 80 %, CRITICAL once at 100 % and no more Opus calls until
the next UTC day; the ledger answers today / this week / per decision."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from tests.integration.brain.test_claude_analyst import VALID, usage
from tests.kit.fake_anthropic import FakeReply
from tests.kit.snapshots import AT, context
from trading_bot.brain.budget import CostLedger
from trading_bot.domain.decision import Action

# Each analysis costs 100000×$5/M + 4000×$25/M = $0.50 + $0.10 = $0.60; the budget is $2.
CALL = usage(100_000, 4_000)


def test_budget_alerts_once_at_80_and_stops_opus_at_100_until_the_next_day(
    claude_settings, make_brain, fake_anthropic, read_alerts, clock, database
):
    settings = claude_settings.model_copy(update={"daily_llm_budget_usd": Decimal("2")})
    fake_anthropic.enqueue(*[FakeReply.answer(VALID, usage=CALL)] * 5)
    analyst = make_brain(settings).analyst

    spent = []
    for minutes in (0, 5, 10):  # $0.60, $1.20, $1.80 (90 %: WARN)
        clock.set(AT + timedelta(minutes=minutes))
        assert analyst.analyze(context(now=clock.now())).action is Action.OPEN_LONG
        spent.append(CostLedger(database).today(clock.now()))
    assert spent == [Decimal("0.6"), Decimal("1.2"), Decimal("1.8")]
    assert [a.kind for a in read_alerts()] == ["budget_80"]

    clock.set(AT + timedelta(minutes=15))  # $2.40: crosses 100 % → CRITICAL
    assert analyst.analyze(context(now=clock.now())).action is Action.OPEN_LONG
    clock.set(AT + timedelta(minutes=20))  # exhausted: HOLD without calling the API
    held = analyst.analyze(context(now=clock.now()))
    assert held.action is Action.HOLD and "budget exhausted" in held.reasoning
    assert len(fake_anthropic.requests) == 4
    kinds = [(a.kind, a.severity) for a in read_alerts()]
    assert kinds == [("budget_80", "WARN"), ("budget_100", "CRITICAL")]

    next_day = AT.replace(hour=0, minute=1) + timedelta(days=1)
    clock.set(next_day)
    assert analyst.analyze(context(now=next_day)).action is Action.OPEN_LONG
    ledger = CostLedger(database)
    assert ledger.today(next_day) == Decimal("0.6")
    assert ledger.this_week(next_day) == Decimal("3.0")  # AT is a Tuesday: same ISO week


def test_cost_per_decision_sums_the_calls_of_a_cycle(claude_settings, make_brain, fake_anthropic, database):
    from trading_bot.storage.models import DecisionCycle

    with database.session() as session:
        session.add(DecisionCycle(id="cyc-1", instrument="BTC-USDT-SWAP", trigger="beat", scheduled_for=AT,
                                  started_at=AT, stage="ANALYZING"))
    fake_anthropic.enqueue(FakeReply.answer({"signal": True, "reason": "pullback"}, usage=usage(500, 20)),
                           FakeReply.answer(VALID, usage=usage(2431, 187)))
    brain = make_brain(claude_settings)
    ctx = context(cycle_id="cyc-1")
    assert brain.screener.screen(ctx).signal is True
    brain.analyst.analyze(ctx)
    # Haiku 500×1 + 20×5 = 600 → 0.0006; Opus 0.016830
    assert CostLedger(database).per_decision("cyc-1") == Decimal("0.017430")
