"""RESEARCHING and ANALYZING: news research when a trigger fires, then the analyst's decision."""

from __future__ import annotations

from trading_bot.domain.events import DecisionEvent
from trading_bot.pipeline.context import brain_context
from trading_bot.pipeline.cycle import Cycle, stage
from trading_bot.pipeline.ports import Ports
from trading_bot.pipeline.screen import mark_agreement
from trading_bot.storage.repos.cycles import as_json_data
from trading_bot.storage.streams import OPUS_DECISIONS


def research(ports: Ports, cycle: Cycle) -> None:
    assert cycle.snapshot is not None
    with stage(ports.db, cycle, "RESEARCHING", ports.clock) as run:
        cycle.research = ports.brain.researcher.research(cycle.snapshot, ports.clock.now(), cycle.id)
        run.detail["research"] = as_json_data(cycle.research)
        run.outcome = "researched" if cycle.research.research is not None else "skipped"


def analyze(ports: Ports, cycle: Cycle) -> str | None:
    """Returns why the cycle ends here (shadow analysis, HOLD), or None to go on to the risk check."""
    with stage(ports.db, cycle, "ANALYZING", ports.clock) as run:
        decision = ports.brain.analyst.analyze(brain_context(ports, cycle, cycle.research))
        cycle.decision = decision.model_copy(update={"cycle_id": cycle.id})
        run.columns.update(decision=cycle.decision, action=cycle.decision.action.value)
        run.detail.update(model=cycle.decision.model, confidence=cycle.decision.confidence)
        run.outcome = cycle.decision.action.value.lower()
        mark_agreement(ports, cycle)
        if cycle.shadow:
            run.outcome = f"shadow_{run.outcome}"
            return run.outcome
        ports.events.publish(OPUS_DECISIONS, DecisionEvent(cycle_id=cycle.id, decision=cycle.decision,
                                                           ts=ports.clock.now()))
    return None
