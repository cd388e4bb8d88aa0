"""Every rejection lands in `risk_rejections` with the decision, rule, reason and numbers."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.integration.risk.conftest import START, account, fresh_market
from tests.kit import risk as kit
from trading_bot.domain.decision import Decision
from trading_bot.storage.models import DecisionCycle, RiskRejection
from trading_bot.storage.repos import risk_rejections

D = Decimal


def _cycle(database, clock) -> str:  # noqa: ANN001
    with database.session() as session:
        session.add(DecisionCycle(id="c-1", instrument=kit.BTC, trigger="beat", scheduled_for=clock.now(),
                                  started_at=clock.now(), stage="RISK_CHECK"))
    return "c-1"


def test_a_rejection_is_stored_with_everything_needed_to_explain_it(risk, journal, clock, database):
    journal.equity("10000", START)
    cycle_id = _cycle(database, clock)
    decision = kit.long(stop="48000", cycle_id=cycle_id, reasoning="breakout")
    verdict = risk.evaluate(decision, account("10000", clock.now()), [], fresh_market(clock), cycle_id=cycle_id)
    assert not verdict.approved
    with database.session() as session:
        row = session.scalars(select(RiskRejection)).one()
        assert (row.cycle_id, row.instrument, row.rule, row.ts) == (cycle_id, kit.BTC, "stop_loss_distance", clock.now())
        assert row.reason == verdict.reason and "4.000 %" in row.reason
        assert row.numbers == {"stop_loss": "48000", "entry": "50000", "distance_pct": "4.00", "limit_pct": "3"}
        assert row.decision["stop_loss"] == "48000" and row.decision["reasoning"] == "breakout"


def test_approvals_are_not_stored_and_adversarial_decisions_are(risk, journal, clock, database):
    journal.equity("10000", START)
    assert risk.evaluate(kit.long(), account("10000", clock.now()), [], fresh_market(clock)).approved
    poisoned = Decision.model_construct(**{**kit.long().__dict__, "confidence": float("nan"),
                                           "size_pct": D("Infinity")})
    verdict = risk.evaluate(poisoned, account("10000", clock.now()), [], fresh_market(clock))
    assert verdict.rule == "invalid_number"
    stored = risk_rejections.recent(database)
    assert len(stored) == 1 and stored[0]["rule"] == "invalid_number"
    assert stored[0]["decision"]["size_pct"] == "Infinity" and stored[0]["decision"]["confidence"] is None


def test_rejections_are_counted_per_rule_and_day(risk, journal, clock, database):
    journal.equity("10000", START)
    for stop in ("47000", "47500"):
        risk.evaluate(kit.long(stop=stop), account("10000", clock.now()), [], fresh_market(clock))
    risk.evaluate(kit.long(leverage=D(10)), account("10000", clock.now()), [], fresh_market(clock))
    assert risk_rejections.count_by_rule(database, START) == {"stop_loss_distance": 2, "leverage": 1}
    assert risk_rejections.count_by_rule(database, START + timedelta(days=1)) == {}
