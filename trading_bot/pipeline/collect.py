"""COLLECTING: the cycle starts, the snapshot is built (once: every later stage reads it)."""

from __future__ import annotations

from datetime import datetime

from trading_bot.pipeline.closing import journal_pending_closes
from trading_bot.pipeline.cycle import Cycle, stage
from trading_bot.pipeline.ports import Ports
from trading_bot.risk.status import BotState
from trading_bot.storage.repos import cycles as repo


def start(ports: Ports, inst_id: str, cycle_id: str, scheduled_for: datetime, trigger: str) -> Cycle | None:
    """Create the cycle; None when this slot already has one (second beat, redelivery)."""
    cycle = Cycle(id=cycle_id, inst_id=inst_id, trigger=trigger, scheduled_for=scheduled_for,
                  started_at=ports.clock.now(), run_id=ports.run_id)
    if not repo.start_cycle(ports.db, cycle.id, inst_id, trigger, scheduled_for, cycle.started_at, ports.run_id):
        return None
    if ports.buffer_stages:
        cycle.buffer_stages()
    return cycle


def collect(ports: Ports, cycle: Cycle) -> str | None:
    """Build the snapshot. Returns why the cycle ends here, or None to go on to screening.

    Closed positions are journaled first and the account is handed to the risk service, so the
    state and counters later stages read are current; the account and positions read here are
    what the brain stages see (recorded in the stage's detail; the risk gate reads its own, fresh)
    (a drawdown breach found here halts the bot before any analysis). While EMERGENCY_HALTED,
    every cycle flattens whatever is still open. A bot that may not open positions still runs the
    cycle when it holds a position here (the analyst may close it); otherwise the cycle ends."""
    with stage(ports.db, cycle, "COLLECTING", ports.clock) as run:
        journal_pending_closes(ports)
        cycle.snapshot = ports.snapshot(cycle.inst_id, ports.clock.now())
        run.columns["snapshot"] = cycle.snapshot
        cycle.account = ports.exchange.account()
        state = ports.risk.watch(cycle.account).state
        cycle.positions = ports.exchange.positions()
        run.detail = {"bot_state": str(state), "price": str(cycle.snapshot.price),
                      "account": cycle.account.model_dump(mode="json"),
                      "positions": [p.model_dump(mode="json") for p in cycle.positions]}
        if state is BotState.EMERGENCY_HALTED:
            report = flatten_if_open(ports)
            run.detail["emergency"] = report
            run.outcome = "emergency_flattened" if report else "skipped_emergency_halted"
            return run.outcome
        holding = any(p.inst_id == cycle.inst_id for p in cycle.positions)
        run.detail["holding"] = holding
        if not state.allows_entries and not holding:
            run.outcome = f"skipped_{state.lower()}"
            return run.outcome
    return None


def flatten_if_open(ports: Ports) -> str | None:
    """The EMERGENCY HALT action list, run again while anything is open; its summary, or None when
    the account was already flat."""
    if not ports.exchange.positions() and not ports.exchange.pending_orders():
        return None
    return ports.risk.enforce_emergency(ports.exchange).summary()
