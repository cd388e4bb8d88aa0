"""One beat cycle of a `running_stack` prepared in the test's process up to execution, so a test
can hand its execute step to a real worker-trade and watch what the worker makes of it.

    ports, cycle_id = prepared_for_execute(stack, GoLong())
    app.send_task("pipeline.execute", args=[cycle_id])
    outcomes(ports, cycle_id, "CONFIRMING")   # ["waiting", "waiting", …]

`killed_inside_placement` kills worker-trade while the simulator holds the entry's answer and starts
it again when the unacked execute task is due for redelivery.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from collections.abc import Callable
from datetime import timedelta

from tests.kit.brains import looking_brain
from tests.kit.processes import Proc
from tests.kit.stack import Stack
from tests.kit.waiting import wait_until
from trading_bot.brain.ports import Analyst
from trading_bot.celery_app import app, configure
from trading_bot.market.exchange_source import ExchangeSource
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.pipeline import collect
from trading_bot.pipeline.flow import STEPS, Next
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.ports import Ports
from trading_bot.pipeline.schedule import slot_for
from trading_bot.pipeline.wiring import build_live_ports
from trading_bot.storage.models import DecisionCycle

INST = "BTC-USDT-SWAP"
REST_SKEW = timedelta(seconds=2)  # within the gate's 5 s tolerance for a snapshot stamped ahead of `now`


def prepared_for_execute(stack: Stack, analyst: Analyst, inst_id: str = INST) -> tuple[Ports, str]:
    """Run collect → risk_check of one beat cycle in this process (real gate, real simulator over
    HTTP, `analyst` deciding); the cycle's next step is execute."""
    settings = stack.settings
    ports = build_live_ports(settings)
    builder = SnapshotBuilder(ExchangeSource(inst_id, ports.exchange), lookback=settings.snapshot_bars)
    # The simulator stamps each REST answer when it gives it, after `at`: built as of REST_SKEW later,
    # the snapshot takes its ticker and book as current (refused as future data, it would price the
    # entry at the last 15m close, and the gate refuses a stale price).
    ports = dataclasses.replace(ports, brain=looking_brain(analyst, "test: scripted analyst"),
                                snapshot=lambda inst, at: builder.build(at + REST_SKEW))
    slot = slot_for(ports.clock.now(), settings.cycle_seconds, settings.cycle_offset_seconds)
    cycle = collect.start(ports, inst_id, cycle_id_for(inst_id, slot), slot, "beat")
    assert cycle is not None
    for step, following in (("collect", "screen"), ("screen", "analyze"), ("analyze", "risk_check"),
                            ("risk_check", "execute")):
        assert STEPS[step](ports, cycle, False) == Next(following), step
    assert cycle.verdict is not None and cycle.verdict.approved, cycle.verdict
    return ports, cycle.id


def cycle_row(ports: Ports, cycle_id: str) -> DecisionCycle:
    with ports.db.session() as session:
        row = session.get(DecisionCycle, cycle_id)
    assert row is not None, cycle_id
    return row


def finished(ports: Ports, cycle_id: str) -> DecisionCycle | None:
    row = cycle_row(ports, cycle_id)
    return row if row.finished_at is not None else None


def outcomes(ports: Ports, cycle_id: str, stage: str) -> list[str]:
    """The outcomes of `stage` in the cycle's timeline, in order."""
    return [entry["outcome"] for entry in cycle_row(ports, cycle_id).timeline if entry["stage"] == stage]


# kombu's Redis transport restores unacked messages older than the visibility timeout (the stack
# runs with CELERY_VISIBILITY_TIMEOUT=30) at a worker's checks, every 10 s from 10 s after it
# starts: a worker started this long after the kill gets the task again at its first check
RESTART_AFTER_KILL_S = 22


@dataclasses.dataclass(frozen=True)
class KilledPlacement:
    killed_at: float  # time.monotonic() of the SIGKILL
    first_output: str  # what the killed worker-trade had said
    restarted: Proc


def killed_inside_placement(stack: Stack, cycle_id: str, hold_ms: int,
                            while_dead: Callable[[], None] = lambda: None) -> KilledPlacement:
    """Send `cycle_id`'s execute to the running worker-trade; SIGKILL it once the simulator holds
    the entry (executed at once, answered `hold_ms` later), run `while_dead`, let the held answer
    go, and restart worker-trade as a supervisor would, in time for the redelivery."""
    def said() -> str:
        return "worker-trade said:\n" + stack.procs["worker-trade"].output[-4000:]

    stack.sim_control("faults", delay_orders_ms=hold_ms)
    configure(stack.settings)
    app.send_task("pipeline.execute", args=[cycle_id])
    wait_until(lambda: stack.sim_control("state")["heldOrders"] == 1, 120, "execute to send the order", said)
    killed_at = time.monotonic()
    stack.procs["worker-trade"].signal(signal.SIGKILL)
    stack.procs["worker-trade"].popen.wait(timeout=10)
    first_output = stack.procs["worker-trade"].output
    while_dead()
    stack.sim_control("faults", delay_orders_ms=0)
    wait_until(lambda: stack.sim_control("state")["heldOrders"] == 0, 10, "the held placement to finish", said)
    time.sleep(max(0.0, RESTART_AFTER_KILL_S - (time.monotonic() - killed_at)))
    return KilledPlacement(killed_at, first_output, stack.start_role("worker-trade"))
