"""EXECUTING and CONFIRMING: at most one order per cycle, with its stop-loss and take-profit
attached; the fill is confirmed (or the unfilled entry cancelled) before the trade is journaled.

The clOrdId is derived from the cycle id, so a redelivered or retried task finds the order it
placed before instead of placing a second one (exchange/orders.py looks it up first). An entry
whose verdict is older than one cycle interval (a task redelivered after a worker died, a queue
that backed up) is not placed: its prices and sizing are stale, and the next cycle decides afresh;
nor is one while the bot is halted (a /halt since the gate). Either skip first looks the clOrdId
up: an entry an earlier delivery placed (its worker died before handing on) is followed through
(confirmed, journaled), never left untracked. A stale CLOSE is not carried out
either: a later cycle may have opened the position it would close. An entry the venue refuses (the
price crossed its stop-loss since the gate, margin or size rules) ends the cycle as
`rejected_by_exchange` with the venue's code and message: nothing was placed."""

from __future__ import annotations

from datetime import timedelta

from trading_bot.domain.decision import Action
from trading_bot.domain.orders import Order
from trading_bot.exchange import orders
from trading_bot.exchange.errors import OrderRejected
from trading_bot.pipeline.cycle import Cycle, StageRun, stage
from trading_bot.pipeline.ports import Ports


def execute(ports: Ports, cycle: Cycle) -> str | None:
    """Returns why the cycle ends here (a CLOSE done, the bot halted since the gate), or None to go
    on to confirmation."""
    assert cycle.decision is not None and cycle.verdict is not None and cycle.verdict.approved
    with stage(ports.db, cycle, "EXECUTING", ports.clock) as run:
        age = ports.clock.now() - cycle.verdict.checked_at
        stale = age > timedelta(seconds=ports.config.cycle_seconds)
        if cycle.decision.action is Action.CLOSE:
            if stale:
                return _skipped(run, "skipped_stale", age)
            closed = close_instrument(ports, cycle)
            run.outcome = "closed" if closed else "nothing_to_close"
            run.detail["closed_positions"] = closed
            return run.outcome
        order = cycle.verdict.order
        assert order is not None, "an approved entry carries its sized order"
        cycle.cl_ord_id = orders.cl_ord_id_for(cycle.id, "e")
        state = ports.risk.state.current().state
        # halted (Telegram /halt, another cycle's breach) since the gate, or a verdict too old to act on
        skip = f"skipped_{state.lower()}" if not state.allows_entries else "skipped_stale" if stale else None
        if skip is not None:
            placed = ports.exchange.get_order(cycle.inst_id, cl_ord_id=cycle.cl_ord_id)
            if placed is None:
                return _skipped(run, skip, age)
            ord_id = placed.ord_id
            run.detail["found_instead_of"] = skip  # placed by an earlier delivery: followed through
        else:
            request = order.to_request(cycle.cl_ord_id, ports.config.margin_mode,  # type: ignore[arg-type]
                                       net_mode=ports.exchange.position_mode() == "net_mode")
            try:
                ord_id = orders.enter(ports.exchange, request, order.leverage).ord_id
            except OrderRejected as exc:  # refused, so nothing was placed: e.g. the price crossed the stop since the gate
                run.outcome = "rejected_by_exchange"
                run.detail.update(code=exc.code, reason=exc.message, rejection=type(exc).__name__)
                return run.outcome
        cycle.ord_id, cycle.placed_at = ord_id, ports.clock.now()
        run.columns["cl_ord_id"] = cycle.cl_ord_id
        run.detail.update(ord_id=ord_id, contracts=str(order.contracts), side=order.side,
                          stop_loss=str(order.stop_loss), take_profit=str(order.take_profit))
        run.outcome = "placed"
    return None


def _skipped(run: StageRun, outcome: str, age: timedelta) -> str:
    run.outcome = outcome
    if outcome == "skipped_stale":
        run.detail["verdict_age_seconds"] = round(age.total_seconds(), 1)
    return run.outcome


def close_instrument(ports: Ports, cycle: Cycle) -> int:
    positions = [p for p in ports.exchange.positions(cycle.inst_id) if p.inst_id == cycle.inst_id]
    for index, position in enumerate(positions):
        orders.close(ports.exchange, position, orders.cl_ord_id_for(f"{cycle.id}{index}", "c"))
    return len(positions)


def confirm(ports: Ports, cycle: Cycle, final: bool) -> Order | None:
    """Check the entry once. Returns the order when it is filled or final (cancelled if it had not
    filled by then), None while it may still fill: the caller checks again later."""
    assert cycle.cl_ord_id is not None
    with stage(ports.db, cycle, "CONFIRMING", ports.clock) as run:
        order = ports.exchange.get_order(cycle.inst_id, cl_ord_id=cycle.cl_ord_id)
        if order is None:
            raise LookupError(f"the entry {cycle.cl_ord_id} of cycle {cycle.id} is unknown to the exchange")
        run.detail.update(state=order.state, filled=str(order.filled))
        if order.state == "filled":
            run.outcome = "filled"
            return order
        if order.is_terminal:
            run.outcome = order.state
            return order
        if not final:
            run.outcome = "waiting"
            return None
        orders.cancel(ports.exchange, cycle.inst_id, cycle.cl_ord_id)
        order = ports.exchange.get_order(cycle.inst_id, cl_ord_id=cycle.cl_ord_id) or order
        run.outcome = "partially_filled_cancelled" if order.filled > 0 else "unfilled_cancelled"
        return order
