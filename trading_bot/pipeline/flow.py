"""The order of the stages, shared by the Celery tasks (one step per task, on its own queue) and
the in-process runner (backtests, tests): each step either names the next one or ends the cycle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from trading_bot.logs import get_logger
from trading_bot.pipeline import analyze, closing, collect, execute, journal, risk_check, screen
from trading_bot.pipeline.cycle import Cycle
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.ports import Ports
from trading_bot.storage.repos import cycles as repo
from trading_bot.storage.repos.llm_calls import cost_of_cycle

log = get_logger(__name__)


@dataclass(frozen=True)
class Next:
    step: str


@dataclass(frozen=True)
class Done:
    outcome: str


@dataclass(frozen=True)
class Wait:
    """The entry may still fill: check again later (the same step, `final` once time is up)."""


StepResult = Next | Done | Wait


def _collect(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    ended = collect.collect(ports, cycle)
    return Done(ended) if ended else Next("screen")


def _screen(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    ended = screen.screen(ports, cycle)
    return Done(ended) if ended else Next("analyze")


def _analyze(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    analyze.research(ports, cycle)
    ended = analyze.analyze(ports, cycle)
    return Done(ended) if ended else Next("risk_check")


def _risk_check(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    ended = risk_check.risk_check(ports, cycle)
    return Done(ended) if ended else Next("execute")


def _execute(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    ended = execute.execute(ports, cycle)
    return Done(ended) if ended else Next("confirm")


def _confirm(ports: Ports, cycle: Cycle, final: bool) -> StepResult:
    order = execute.confirm(ports, cycle, final)
    if order is None:
        return Wait()
    return Done(journal.journal_entry(ports, cycle, order))


STEPS: dict[str, Callable[[Ports, Cycle, bool], StepResult]] = {
    "collect": _collect,
    "screen": _screen,
    "analyze": _analyze,
    "risk_check": _risk_check,
    "execute": _execute,
    "confirm": _confirm,
}


def finish(ports: Ports, cycle: Cycle, outcome: str, error: str | None = None) -> None:
    buffered = cycle.take_buffer()
    if buffered is None:
        cost = cost_of_cycle(ports.db, cycle.id)
        repo.finish_cycle(ports.db, cycle.id, ports.clock.now(), outcome, cost, error)
    else:
        cost = repo.finish_buffered(ports.db, cycle.id, buffered, cycle.started_at, ports.clock.now(), outcome, error)
    decision = cycle.decision
    verdict = cycle.verdict
    log.info(
        "cycle",
        instrument=cycle.inst_id,
        cycle_id=cycle.id,
        screen=("shadow" if cycle.shadow else "pass" if cycle.screen.signal else "out") if cycle.screen else "-",
        decision=decision.action.value if decision else "-",
        verdict=("approved" if verdict.approved else f"rejected:{verdict.rule}") if verdict else "-",
        order=cycle.ord_id or "-",
        outcome=outcome,
        latency_ms=int((ports.clock.now() - cycle.started_at).total_seconds() * 1000),
        cost_usd=str(cost),
    )


def run_steps(ports: Ports, cycle: Cycle, first: str = "collect",
              wait: Callable[[int], bool] | None = None) -> str:
    """Run a cycle to its end in this process. `wait(attempt)` is called while an entry is still
    open; it returns False when time is up (default: no waiting, one final check)."""
    step, attempt = first, 0
    while True:
        result = STEPS[step](ports, cycle, False)
        while isinstance(result, Wait):
            attempt += 1
            final = wait is None or not wait(attempt)
            result = STEPS[step](ports, cycle, final)
        if isinstance(result, Done):
            finish(ports, cycle, result.outcome)
            return result.outcome
        step = result.step


def follow_up(ports: Ports) -> None:
    """The journal's follow-up: closed positions journaled and reviewed, a deep reflection when due."""
    closing.journal_pending_closes(ports)
    closing.review_pending(ports)


def run_cycle(ports: Ports, inst_id: str, scheduled_for: datetime, trigger: str = "beat",
              wait: Callable[[int], bool] | None = None,
              after: Callable[[Ports], None] = follow_up) -> str | None:
    """One whole cycle in this process (backtests, tests), then the journal's follow-up (`after`;
    backtests pass a `closing.ReviewGate`). None if the slot had a cycle."""
    cycle = collect.start(ports, inst_id, cycle_id_for(inst_id, scheduled_for, ports.run_id, trigger),
                          scheduled_for, trigger)
    if cycle is None:
        return None
    try:
        outcome = run_steps(ports, cycle, wait=wait)
    except Exception as exc:  # the cycle is over either way; the caller decides whether to go on
        try:
            finish(ports, cycle, "error", f"{type(exc).__name__}: {exc}")
        except Exception:  # the database may be what failed: the cycle's own error is the one to raise
            log.exception("the failed cycle's end could not be recorded", cycle_id=cycle.id)
        raise
    after(ports)
    return outcome
