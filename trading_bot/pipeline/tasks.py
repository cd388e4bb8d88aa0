"""Thin Celery tasks of the decision pipeline: load the cycle by id, run one step, hand the id to
the next task on its own queue (routes in celeryconfig.py). Every task is safe to run twice: the
slot is unique per instrument, a finished cycle is not resumed, and execute looks its clOrdId up
before placing anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Task

from trading_bot.celery_app import TaskFunction, app, bound_task, task
from trading_bot.config import Settings, get_settings
from trading_bot.exchange.errors import ExchangeUnavailable, RateLimited
from trading_bot.logs import bind_context, get_logger
from trading_bot.pipeline import closing
from trading_bot.pipeline.collect import start
from trading_bot.pipeline.cycle import cycle_from_row
from trading_bot.pipeline.flow import STEPS, Done, Next, Wait, finish
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.locks import REFLECTION_TURN_SECONDS, cycle_locks, reflection_turn
from trading_bot.pipeline.ports import Ports
from trading_bot.pipeline.schedule import slot_for
from trading_bot.pipeline.wiring import live_ports, with_settings
from trading_bot.runtime_config import effective_settings
from trading_bot.storage.outage import STORAGE_OUTAGE, is_storage_outage
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.repos import cycles as repo
from trading_bot.storage.streams import Keys

log = get_logger(__name__)
TRANSIENT: tuple[type[Exception], ...] = (ExchangeUnavailable, RateLimited, ConnectionError, TimeoutError, *STORAGE_OUTAGE)
CONFIRM_CHECKS = 30  # one per second: the entry gets 30 s to fill
EXCHANGE_RETRIES = 3  # a step the exchange refused (5xx, rate limit, network) is retried 3 times in a row
STORAGE_RETRIES = 8  # a step PostgreSQL or Redis refused is retried for about 45 s (a server restart)
MAX_BACKOFF_SECONDS = 8


@bound_task(name="pipeline.start_cycle", acks_late=True, ignore_result=True, max_retries=0)
def start_cycle(self: Task, inst_id: str, trigger: str = "beat") -> None:
    """Beat's entry point (queue market): claim the slot and the instrument, then collect."""
    settings = current_settings()
    ports = with_settings(live_ports(get_settings()), settings)
    now = ports.clock.now()
    slot = slot_for(now, settings.cycle_seconds, settings.cycle_offset_seconds) if trigger == "beat" else now
    cycle_id = cycle_id_for(inst_id, slot, trigger=trigger)
    bind_context(cycle_id=cycle_id, instrument=inst_id)
    locks = cycle_locks(get_settings())
    if not locks.acquire(inst_id, cycle_id):
        holder = locks.holder(inst_id)
        log.warning("cycle skipped: the previous cycle of this instrument is still running", holder=holder)
        if trigger == "beat":
            repo.record_missed(ports.db, cycle_id, inst_id, slot, now,
                               f"the previous cycle {holder} of this instrument was still running")
        return
    try:
        cycle = start(ports, inst_id, cycle_id, slot, trigger)
    except Exception:  # (PostgreSQL down) no row: the sweeper records the slot as missed
        locks.release(inst_id, cycle_id)
        raise
    if cycle is None:
        if locks.holder(inst_id) == cycle_id:
            row = repo.get_cycle(ports.db, cycle_id)
            if row is not None and row.finished_at is not None:
                locks.release(inst_id, cycle_id)
        log.info("cycle already started for this slot", cycle_id=cycle_id)
        return
    try:
        _run_step(self, "collect", cycle_id)
    except _HandedOver:
        log.warning("collect handed to its own task for a retry", cycle_id=cycle_id)


def current_settings() -> Settings:
    """The settings with Telegram's runtime overrides (cycle interval, shadow share, reflection
    cadence), read at the start of every unit of work."""
    settings = get_settings()
    return effective_settings(settings, get_redis(settings), Keys(settings.redis_namespace))


def _run_step(task: Task, step: str, cycle_id: str, checks: int = 0) -> None:
    """One step of the cycle. `checks` counts confirm's fill checks before this one; the task's
    `request.retries` counts only the retries of errors, so the two budgets never mix."""
    process = live_ports(get_settings())
    try:
        ports = with_settings(process, current_settings())
        row = repo.get_cycle(ports.db, cycle_id)
    except STORAGE_OUTAGE as exc:  # nothing ran yet: try again later, or leave the cycle to the sweeper
        if task.request.retries < STORAGE_RETRIES:
            _retry(task, step, cycle_id, exc)
        _free_instrument(cycle_id)
        raise
    if row is None:
        raise LookupError(f"decision cycle {cycle_id} does not exist")
    bind_context(cycle_id=cycle_id, instrument=row.instrument)
    if row.finished_at is not None:
        log.info("cycle already finished; redelivered step ignored", step=step)
        return
    cycle = cycle_from_row(row)
    final = checks >= CONFIRM_CHECKS - 1
    try:
        result = STEPS[step](ports, cycle, final)
    except TRANSIENT as exc:
        if task.request.retries < (STORAGE_RETRIES if is_storage_outage(exc) else EXCHANGE_RETRIES):
            _retry(task, step, cycle_id, exc)
        _end(ports, cycle, "error", f"{type(exc).__name__}: {exc}")
        raise
    except Exception as exc:
        _end(ports, cycle, "error", f"{type(exc).__name__}: {exc}")
        raise
    if isinstance(result, Next):
        app.send_task(f"pipeline.{result.step}", args=[cycle_id])
    elif isinstance(result, Wait):
        # a new message rather than task.retry: a fill check is no error retry, and the next check
        # starts with the whole error budget (its request.retries is 0)
        app.send_task(f"pipeline.{step}", args=[cycle_id], kwargs={"checks": checks + 1}, countdown=1)
    elif isinstance(result, Done):
        _end(ports, cycle, result.outcome)


def _retry(task: Task, step: str, cycle_id: str, exc: Exception) -> None:
    """The step again after a backoff. `start_cycle` hands it to the step's own task: a retried
    start would take the slot of the time it runs again, not its own."""
    countdown = int(min(2 ** task.request.retries, MAX_BACKOFF_SECONDS))
    if task.name == start_cycle.name:
        app.send_task(f"pipeline.{step}", args=[cycle_id], countdown=countdown)
        raise _HandedOver() from exc
    raise task.retry(exc=exc, countdown=countdown) from exc


class _HandedOver(Exception):
    """start_cycle's step continues in its own task."""


def _free_instrument(cycle_id: str) -> None:
    """The instrument lock this cycle holds, released (its row cannot be read to say which)."""
    settings = get_settings()
    locks = cycle_locks(settings)
    for inst_id in settings.instruments:
        if locks.holder(inst_id) == cycle_id:
            locks.release(inst_id, cycle_id)


def _end(ports: Any, cycle: Any, outcome: str, error: str | None = None) -> None:
    """Record the end and free the instrument; the lock goes even when the end cannot be written
    (PostgreSQL down): the next slot may start, and the sweeper finishes this row later."""
    try:
        finish(ports, cycle, outcome, error)
    finally:
        cycle_locks(get_settings()).release(cycle.inst_id, cycle.id)


def _step_task(step: str) -> TaskFunction[[str, int], None]:
    # Errors are retried by `_retry`, not by Celery's autoretry_for: the budget depends on what
    # failed (exchange or storage), and the step that spends it must still end its cycle.
    @bound_task(name=f"pipeline.{step}", acks_late=True, ignore_result=True, max_retries=STORAGE_RETRIES)
    def run(self: Task, cycle_id: str, checks: int = 0) -> None:
        _run_step(self, step, cycle_id, checks)

    return run


collect = _step_task("collect")  # a collect retried after start_cycle claimed the slot
screen = _step_task("screen")
analyze = _step_task("analyze")
risk_check = _step_task("risk_check")
execute = _step_task("execute")
confirm = _step_task("confirm")


def _in_reflection_turn(what: str, work: Callable[[Ports], object], wait_seconds: float = 0.0) -> None:
    """Run `work` holding the reflection turn, with the settings in force when it got the turn; a
    scheduled task skips when another holds it."""
    settings = get_settings()
    with reflection_turn(settings, wait_seconds) as mine:
        if not mine:
            log.info("reflection task skipped: another holds the turn", task=what, waited_seconds=wait_seconds)
            return
        work(with_settings(live_ports(settings), current_settings()))


def _journal_and_review(ports: Ports) -> None:
    closing.journal_pending_closes(ports)
    closing.review_pending(ports)


@task(name="reflect.journal_closes", acks_late=True, ignore_result=True)
def journal_closes() -> None:
    """Journal closed positions and review them (every minute of market time, and on demand)."""
    _in_reflection_turn("journal closes", _journal_and_review)


@task(name="reflect.deep", acks_late=True, ignore_result=True)
def deep_reflection() -> None:
    """A deep reflection now (Telegram /reflect), whether or not one is due (waits for the turn)."""
    _in_reflection_turn("deep reflection", lambda ports: closing.reflect_deeply(ports, ports.clock.now()),
                        wait_seconds=REFLECTION_TURN_SECONDS)


@task(name="reflect.check_deep", acks_late=True, ignore_result=True)
def check_deep() -> None:
    _in_reflection_turn("deep reflection check", closing.maybe_reflect_deeply)


@task(name="maintenance.sweep_cycles", acks_late=True, ignore_result=True)
def sweep_cycles() -> None:
    """Finish cycles that stopped moving (`abandoned`, or a placed entry followed through) and
    record the slots no cycle started for (`missed`)."""
    from trading_bot.pipeline.sweep import SweepPolicy, service_restarts, sweep

    settings = current_settings()
    ports = with_settings(live_ports(get_settings()), settings)
    policy = SweepPolicy.from_settings(settings)
    restarts = service_restarts(get_redis(settings), ports.db, ports.clock.now(), settings.market_speed)
    sweep(ports, cycle_locks(settings), policy, settings.instruments, restarts,
          resume=lambda cycle_id: app.send_task("pipeline.confirm", args=[cycle_id]))


@task(name="maintenance.performance_snapshot", acks_late=True, ignore_result=True)
def performance_snapshot(period: str) -> None:
    from trading_bot.pipeline.performance import snapshot_performance

    ports = live_ports(get_settings())
    snapshot_performance(ports.db, ports.exchange.account(), period, ports.clock.now(), ports.run_id)


@task(name="maintenance.cleanup_research_cache", acks_late=True, ignore_result=True)
def cleanup_research_cache() -> None:
    from trading_bot.storage.repos.research_cache import purge_expired

    ports = live_ports(get_settings())
    purged = purge_expired(ports.db, ports.clock.now())
    log.info("research cache cleaned", purged=purged)
