"""The pipeline under the bot's safety states, with the real stages, gate and state service over the
in-process simulator replaying real BTC-USDT-SWAP candles. The analyst is a script (what it
decides is the input here; whether an order leaves is what is tested)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.kit.brains import Scripted, looking_brain
from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.clock import parse_iso
from trading_bot.config import Settings, load_settings
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline import collect
from trading_bot.pipeline.cycle import Cycle
from trading_bot.pipeline.flow import STEPS, Done, Next, finish, run_cycle
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.ports import Ports
from trading_bot.risk.status import BotState
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, Order

pytestmark = [pytest.mark.shared]
INST = "BTC-USDT-SWAP"
START = parse_iso("2025-06-01T00:00:00Z")
DATA = "data/okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"


class Bench:
    def __init__(self, ports: Ports, exchange: InProcessExchange, analyst: Scripted) -> None:
        self.ports, self.exchange, self.analyst, self.slot = ports, exchange, analyst, START

    def next_slot(self) -> None:
        self.slot += timedelta(minutes=15)
        self.exchange.advance_to(self.slot + timedelta(seconds=5))

    def cycle(self, *decisions: str) -> str | None:
        self.analyst.queue.extend(decisions)
        self.next_slot()
        return run_cycle(self.ports, INST, self.slot)

    def entries(self) -> list[str | None]:
        with self.ports.db.session() as session:
            return list(session.scalars(select(Order.cycle_id).where(Order.purpose == "entry")))


@pytest.fixture
def bench(shared_dir: Path, settings: Settings, database: Database) -> Bench:
    settings = load_settings(database_url=settings.database_dsn().replace("+psycopg", ""), brain_mode="rules",
                             cycle_seconds=900, redis_namespace=settings.redis_namespace)
    exchange = InProcessExchange(build_venue(SimSpec(data=[str(shared_dir / DATA)], start=START, speed=0), START))
    analyst = Scripted()
    brain = looking_brain(analyst, "test: scripted")
    return Bench(inprocess_ports(settings, exchange, database, "live", brain=brain), exchange, analyst)


def test_a_halted_bot_enters_nothing_but_still_closes_when_asked(bench: Bench) -> None:
    assert bench.cycle("long") == "filled"
    bench.ports.risk.state.halt("telegram:42", "test: halt with a position open")
    assert bench.cycle("long") == "rejected"  # the analyst runs (a position is held) but the gate refuses
    assert len(bench.exchange.positions()) == 1 and len(bench.entries()) == 1
    assert bench.cycle("close") == "closed"
    assert bench.exchange.positions() == [] and bench.exchange.pending_algo_orders(INST) == []
    assert bench.cycle("long") == "skipped_halted"  # flat and halted: ends before any analysis
    assert len(bench.entries()) == 1


def _up_to_execute(bench: Bench, decision: str) -> Cycle:
    """A cycle run from collect through an approving gate; its next step is execute."""
    bench.next_slot()
    cycle = collect.start(bench.ports, INST, cycle_id_for(INST, bench.slot), bench.slot, "beat")
    assert cycle is not None
    bench.analyst.queue.append(decision)
    step = "collect"
    while step != "execute":
        result = STEPS[step](bench.ports, cycle, False)
        assert isinstance(result, Next), result
        step = result.step
    assert cycle.verdict is not None and cycle.verdict.approved
    return cycle


def test_a_halt_between_the_gate_and_execution_wins(bench: Bench) -> None:
    ports = bench.ports
    cycle = _up_to_execute(bench, "long")
    ports.risk.state.halt("telegram:42", "test: /halt while the order was on its way")
    result = STEPS["execute"](ports, cycle, False)
    assert result == Done("skipped_halted")
    finish(ports, cycle, result.outcome)
    assert bench.exchange.positions() == [] and bench.exchange.pending_orders() == [] and bench.entries() == []


def test_emergency_halted_cycles_flatten_whatever_is_open(bench: Bench) -> None:
    assert bench.cycle("long") == "filled"
    bench.ports.risk.state.halt("telegram:42", "test: emergency", emergency=True)
    assert bench.ports.risk.state.current().state is BotState.EMERGENCY_HALTED
    assert bench.cycle("long") == "emergency_flattened"
    assert bench.exchange.positions() == [] and bench.exchange.pending_orders() == []
    assert bench.exchange.pending_algo_orders(INST) == []
    assert bench.cycle("long") == "skipped_emergency_halted"
    with bench.ports.db.session() as session:
        rows = session.scalars(select(DecisionCycle).order_by(DecisionCycle.started_at)).all()
    assert "flat" in rows[1].timeline[0]["detail"]["emergency"]
    assert len(bench.entries()) == 1


def test_an_entry_reaching_execute_after_one_cycle_interval_is_not_placed(bench: Bench) -> None:
    cycle = _up_to_execute(bench, "long")
    bench.exchange.advance_to(bench.slot + timedelta(seconds=5 + 900 + 1))  # a redelivery 15 min later
    assert STEPS["execute"](bench.ports, cycle, False) == Done("skipped_stale")
    assert bench.exchange.pending_orders() == [] and bench.exchange.positions() == [] and bench.entries() == []
    with bench.ports.db.session() as session:
        row = session.get(DecisionCycle, cycle.id)
        assert row is not None and row.timeline[-1]["stage"] == "EXECUTING"
        assert row.timeline[-1]["outcome"] == "skipped_stale"
        assert row.timeline[-1]["detail"]["verdict_age_seconds"] == 901.0


def test_a_late_redelivery_of_a_placed_entry_follows_its_order_through(bench: Bench) -> None:
    cycle = _up_to_execute(bench, "long")
    assert STEPS["execute"](bench.ports, cycle, False) == Next("confirm")  # placed, then the worker died
    placed = cycle.ord_id
    bench.exchange.advance_to(bench.slot + timedelta(seconds=5 + 900 + 1))
    assert STEPS["execute"](bench.ports, cycle, False) == Next("confirm")  # found by its clOrdId
    assert cycle.ord_id == placed, "the order placed before, not a second one"
    assert STEPS["confirm"](bench.ports, cycle, True) == Done("filled")
    assert bench.entries() == [cycle.id]


def test_a_stale_close_is_not_carried_out(bench: Bench) -> None:
    assert bench.cycle("long") == "filled"
    cycle = _up_to_execute(bench, "close")
    bench.exchange.advance_to(bench.slot + timedelta(seconds=5 + 900 + 1))
    assert STEPS["execute"](bench.ports, cycle, False) == Done("skipped_stale")
    assert len(bench.exchange.positions()) == 1, "the position a stale close would have closed stays"


def test_an_execute_redelivered_after_a_halt_follows_its_placed_order_through(bench: Bench) -> None:
    cycle = _up_to_execute(bench, "long")
    assert STEPS["execute"](bench.ports, cycle, False) == Next("confirm")  # placed, then the worker died
    placed = cycle.ord_id
    bench.ports.risk.state.halt("telegram:42", "test: /halt before the execute is redelivered")
    assert STEPS["execute"](bench.ports, cycle, False) == Next("confirm")  # found by its clOrdId, not skipped
    assert cycle.ord_id == placed, "the order placed before, not a second one"
    assert STEPS["confirm"](bench.ports, cycle, True) == Done("filled")
    assert bench.entries() == [cycle.id]
    sized = cycle.verdict.order if cycle.verdict else None
    assert sized is not None
    (position,) = bench.exchange.positions()
    assert position.size == sized.contracts
    assert [(a.sl_trigger_px, a.tp_trigger_px) for a in bench.exchange.pending_algo_orders(INST)] == [
        (sized.stop_loss, sized.take_profit)]
    with bench.ports.db.session() as session:
        row = session.get(DecisionCycle, cycle.id)
        assert row is not None
    executing = [entry for entry in row.timeline if entry["stage"] == "EXECUTING"]
    assert [entry["outcome"] for entry in executing] == ["placed", "placed"]
    assert executing[-1]["detail"]["found_instead_of"] == "skipped_halted"
