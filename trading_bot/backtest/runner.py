"""The backtest loop: the venue replays the candles, and at every cycle slot the same pipeline as
live runs in this process (collect → screen → analyze → risk_check → execute → confirm → journal,
then the journal's follow-up: closes journaled, post-trade reviews, deep reflection).

Time moves only here: the venue is advanced to the slot (ticks in between trigger stop-losses and
take-profits inside the bars, funding settles at 00/08/16 UTC), then the cycle runs at that instant,
seeing only bars closed by then. At the end every open position is closed at the venue's price so
the journal holds the whole result; a stop request (Ctrl-C) ends the loop between two cycles."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.backtest.inprocess import VenueCloseFeed, inprocess_ports
from trading_bot.backtest.playbook import RunPlaybookStore
from trading_bot.backtest.risk_state import run_state_service
from trading_bot.backtest.source import backtest_snapshots
from trading_bot.brain.playbook import PlaybookStore
from trading_bot.brain.ports import Brain
from trading_bot.clock import from_ms, to_ms
from trading_bot.config import Settings
from trading_bot.exchange.orders import close
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline.closing import ReviewGate, journal_pending_closes, review_pending
from trading_bot.pipeline.flow import run_cycle
from trading_bot.pipeline.ports import Ports, RecentTradesMemo
from trading_bot.storage.db import Database
from trading_bot.storage.repos.account import upsert_account
from trading_bot.storage.streams import Keys

TRIGGER = "backtest"


class BacktestError(ValueError):
    """The backtest cannot run as asked (data, period, instrument); the message says why."""


@dataclass(frozen=True)
class BacktestSpec:
    data: list[str]  # candle files, and funding files (recognised by name or column)
    instrument: str
    start: datetime | None = None  # None: the venue's default (history for the indicators first)
    end: datetime | None = None  # None: the end of the data
    cycle: timedelta = timedelta(minutes=15)
    equity: Decimal = Decimal("10000")
    run_id: str = "bt"
    seed: int = 0  # shadow sampling


@dataclass
class Progress:
    at: datetime
    cycle: int  # cycles run so far
    cycles: int  # cycles planned
    equity: Decimal
    trades: int  # positions opened so far
    closed: int  # positions closed so far


@dataclass
class BacktestOutcome:
    run_id: str
    instrument: str
    start: datetime
    end: datetime  # the last slot reached
    cycles: int
    planned: int
    stopped: bool  # ended early on request
    outcomes: dict[str, int] = field(default_factory=dict)
    final_equity: Decimal = Decimal(0)


@dataclass
class Backtest:
    """A prepared backtest: venue, ports and the slots to run."""

    spec: BacktestSpec
    exchange: InProcessExchange
    ports: Ports
    slots: list[datetime]
    start: datetime  # the venue's time before the first slot


def cycle_slots(start: datetime, end: datetime, cycle: timedelta) -> list[datetime]:
    """Slots on the cycle grid (epoch-aligned, like the beat) strictly after `start`, up to `end`."""
    step = int(cycle.total_seconds() * 1000)
    first = (to_ms(start) // step + 1) * step
    return [from_ms(ms) for ms in range(first, to_ms(end) + 1, step)]


def _venue(spec: BacktestSpec) -> InProcessExchange:
    from trading_bot.exchange.sim.files import DataFileError
    from trading_bot.exchange.sim.market import SimMarket

    try:
        market = SimMarket.from_files(spec.data)
    except DataFileError as exc:
        raise BacktestError(str(exc)) from None
    if spec.instrument not in market.data:
        raise BacktestError(f"--instrument {spec.instrument}: the data holds {', '.join(sorted(market.data))}")
    data = market.data[spec.instrument]
    first, last = from_ms(data.start_ms), from_ms(data.end_ms)
    start = spec.start or from_ms(market.default_start())
    if not first <= start < last:
        raise BacktestError(f"--from {start.isoformat()} is outside the data ({first.isoformat()} … {last.isoformat()})")
    try:
        return InProcessExchange(build_venue(SimSpec(data=spec.data, start=start, speed=0, equity=spec.equity), start))
    except (DataFileError, ValueError) as exc:
        raise BacktestError(str(exc)) from None


@dataclass
class Plan:
    """The venue at the start and the slots to run: everything that can fail on bad input."""

    spec: BacktestSpec
    exchange: InProcessExchange
    slots: list[datetime]


def plan(spec: BacktestSpec) -> Plan:
    exchange = _venue(spec)
    start = exchange.server_time()
    data_end = from_ms(exchange.venue.data(spec.instrument).end_ms)
    end = min(spec.end or data_end, data_end)
    if end <= start:
        raise BacktestError(f"--to {end.isoformat()} is not after the start {start.isoformat()}")
    slots = cycle_slots(start, end, spec.cycle)
    if not slots:
        raise BacktestError(f"no {spec.cycle} cycle fits between {start.isoformat()} and {end.isoformat()}")
    return Plan(spec, exchange, slots)


def prepare(planned: Plan | BacktestSpec, settings: Settings, db: Database, brain: Brain | None = None,
            playbooks: PlaybookStore | None = None) -> Backtest:
    """The pipeline's ports over the planned venue, writing to `db` under the spec's run id."""
    planned = plan(planned) if isinstance(planned, BacktestSpec) else planned
    spec, exchange = planned.spec, planned.exchange
    settings = settings.model_copy(update={"cycle_seconds": int(spec.cycle.total_seconds())})
    snapshot = backtest_snapshots(exchange, spec.instrument, settings.snapshot_bars, exchange.server_time(),
                                  planned.slots[-1])
    closes = VenueCloseFeed(exchange)
    state = run_state_service(db, Keys(settings.redis_namespace), exchange.clock, spec.run_id,
                              generation=lambda: closes.seen)
    ports = dataclasses.replace(
        inprocess_ports(settings, exchange, db, spec.run_id, brain=brain, snapshot=snapshot, seed=spec.seed,
                        closes=closes, state=state),
        playbooks=playbooks or RunPlaybookStore(db), buffer_stages=True,
        recent_trades=RecentTradesMemo(lambda: closes.seen))
    return Backtest(spec, exchange, ports, planned.slots, exchange.server_time())


def run(backtest: Backtest, on_progress: Callable[[Progress], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
        after: Callable[[Ports], None] | None = None) -> BacktestOutcome:
    """Every slot's cycle; `after` is the journal's follow-up (default a `ReviewGate`)."""
    spec, exchange, ports = backtest.spec, backtest.exchange, backtest.ports
    outcome = BacktestOutcome(spec.run_id, spec.instrument, backtest.start, backtest.start, 0,
                              len(backtest.slots), stopped=False)
    closes = ports.closes
    opened, after = 0, after or ReviewGate(lambda: closes.seen)  # type: ignore[attr-defined]
    for slot in backtest.slots:
        if should_stop():
            outcome.stopped = True
            break
        exchange.advance_to(slot)
        result = run_cycle(ports, spec.instrument, slot, trigger=TRIGGER, after=after) or "none"
        ports.db.commit()
        outcome.outcomes[result] = outcome.outcomes.get(result, 0) + 1
        outcome.cycles += 1
        outcome.end = slot
        opened += result == "filled"
        if on_progress is not None:
            on_progress(Progress(slot, outcome.cycles, len(backtest.slots), exchange.account().equity, opened,
                                 ports.closes.seen))  # type: ignore[attr-defined]
    flatten(ports, exchange)
    outcome.final_equity = exchange.account().equity
    return outcome


def flatten(ports: Ports, exchange: InProcessExchange) -> None:
    """Close what is still open at the venue's price, journal and review it, record the final equity."""
    for position in exchange.positions():
        close(exchange, position)
    for order in exchange.pending_orders():
        exchange.cancel_order(order.inst_id, ord_id=order.ord_id)
    journal_pending_closes(ports)
    review_pending(ports, limit=1_000)
    upsert_account(ports.db, exchange.account(), ports.run_id)
    ports.db.commit()
