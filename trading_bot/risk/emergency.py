"""The EMERGENCY HALT action list, executable against any `Exchange`:

1. cancel every pending entry order (nothing new may open);
2. close every open position at market (`close_position`);
3. once an instrument is flat, cancel what is left there: reduce-only orders and TP/SL algo orders.

A failed action does not stop the others; the report lists every outcome and what is still open.
`flatten` is safe to run again (the pipeline repeats it each cycle while EMERGENCY_HALTED and
anything is still open): it re-reads the exchange every time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from trading_bot.domain.orders import Order, Position
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.errors import NotFound
from trading_bot.logs import get_logger

log = get_logger(__name__)

ActionKind = Literal["cancel_entry", "close_position", "cancel_leftover_order", "cancel_algo_orders"]


@dataclass(frozen=True)
class EmergencyAction:
    kind: ActionKind
    inst_id: str
    description: str
    run: Callable[[Exchange], None] = field(compare=False, repr=False)


@dataclass(frozen=True)
class ActionOutcome:
    action: EmergencyAction
    ok: bool
    error: str | None = None


@dataclass
class EmergencyReport:
    outcomes: list[ActionOutcome] = field(default_factory=list)
    open_positions: list[Position] = field(default_factory=list)  # still open after the run
    pending_orders: list[Order] = field(default_factory=list)  # still pending after the run

    @property
    def flat(self) -> bool:
        return not self.open_positions and not self.pending_orders

    @property
    def failures(self) -> list[ActionOutcome]:
        return [o for o in self.outcomes if not o.ok]

    def summary(self) -> str:
        done = sum(o.ok for o in self.outcomes)
        state = "flat" if self.flat else (f"{len(self.open_positions)} positions and {len(self.pending_orders)} "
                                          "orders still open")
        return f"{done}/{len(self.outcomes)} emergency actions succeeded; {state}"


def plan(pending: Sequence[Order], positions: Sequence[Position]) -> list[EmergencyAction]:
    """Steps 1 and 2 for what is open now: cancel entries first, then close positions."""
    actions = [_cancel(order, "cancel_entry") for order in pending if not order.reduce_only]
    actions += [_close(position) for position in positions if position.size > 0]
    return actions


def _cancel(order: Order, kind: ActionKind) -> EmergencyAction:
    def run(exchange: Exchange) -> None:
        try:
            exchange.cancel_order(order.inst_id, ord_id=order.ord_id)
        except NotFound:  # filled or cancelled meanwhile: nothing left to cancel
            pass

    return EmergencyAction(kind, order.inst_id, f"cancel {order.side} order {order.ord_id} on {order.inst_id}", run)


def _close(position: Position) -> EmergencyAction:
    def run(exchange: Exchange) -> None:
        try:
            exchange.close_position(position.inst_id, position.pos_side, position.mgn_mode)
        except NotFound:  # closed meanwhile (stop-loss, liquidation): already flat
            pass

    return EmergencyAction("close_position", position.inst_id,
                           f"close {position.side} {position.size} contracts of {position.inst_id} at market", run)


def _cancel_algos(inst_id: str, algo_ids: list[str]) -> EmergencyAction:
    def run(exchange: Exchange) -> None:
        exchange.cancel_algo_orders(inst_id, algo_ids)

    return EmergencyAction("cancel_algo_orders", inst_id, f"cancel {len(algo_ids)} TP/SL orders on {inst_id}", run)


def execute(exchange: Exchange, actions: Sequence[EmergencyAction]) -> list[ActionOutcome]:
    outcomes = []
    for action in actions:
        try:
            action.run(exchange)
            outcomes.append(ActionOutcome(action, True))
        except Exception as exc:  # noqa: BLE001 - one failure must not stop the rest
            log.error("emergency action failed", action=action.description, error=f"{type(exc).__name__}: {exc}")
            outcomes.append(ActionOutcome(action, False, f"{type(exc).__name__}: {exc}"))
    return outcomes


def flatten(exchange: Exchange) -> EmergencyReport:
    """Run the whole action list against the exchange and report what is still open."""
    report = EmergencyReport()
    report.outcomes += execute(exchange, plan(exchange.pending_orders(), exchange.positions()))
    report.outcomes += execute(exchange, _leftovers(exchange))
    report.open_positions = [p for p in exchange.positions() if p.size > 0]
    report.pending_orders = exchange.pending_orders()
    log.warning("emergency flatten", summary=report.summary())
    return report


def _leftovers(exchange: Exchange) -> list[EmergencyAction]:
    """Step 3: on instruments that are flat now, cancel remaining orders and TP/SL algo orders."""
    held = {p.inst_id for p in exchange.positions() if p.size > 0}
    actions = [_cancel(o, "cancel_leftover_order") for o in exchange.pending_orders() if o.inst_id not in held]
    algos: dict[str, list[str]] = {}
    for algo in exchange.pending_algo_orders():
        if algo.inst_id not in held:
            algos.setdefault(algo.inst_id, []).append(algo.algo_id)
    return actions + [_cancel_algos(inst_id, ids) for inst_id, ids in algos.items()]
