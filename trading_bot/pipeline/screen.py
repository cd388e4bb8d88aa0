"""SCREENING: the cheap model (or the rules, or a bypass rule) decides whether analysis runs.
A share of screened-out cycles is analysed anyway in shadow, without trading, to measure what the
screener misses."""

from __future__ import annotations

from trading_bot.pipeline.context import brain_context
from trading_bot.pipeline.cycle import Cycle, stage
from trading_bot.pipeline.ports import Ports
from trading_bot.storage.repos import screener_logs
from trading_bot.storage.repos.cycles import as_json_data


def screen(ports: Ports, cycle: Cycle) -> str | None:
    """Returns why the cycle ends here, or None to go on to analysis (live or shadow)."""
    with stage(ports.db, cycle, "SCREENING", ports.clock) as run:
        cycle.screen = ports.brain.screener.screen(brain_context(ports, cycle))
        run.detail["screen"] = as_json_data(cycle.screen)
        run.columns["screener_signal"] = cycle.screen.signal
        if cycle.screen.signal:
            run.outcome = "signal"
            return None
        if ports.rng.random() < ports.config.shadow_fraction:
            cycle.shadow = True
            run.columns["shadow"] = True
            run.outcome = "shadow"
            return None
        run.outcome = "screened_out"
        return run.outcome


def mark_agreement(ports: Ports, cycle: Cycle) -> None:
    """Record on the screener's log row what the analyst (live or shadow) decided."""
    if cycle.screen is None or cycle.screen.log_id is None or cycle.decision is None:
        return
    screener_logs.mark_analyst(ports.db, cycle.screen.log_id, cycle.decision.action.value, cycle.shadow)
