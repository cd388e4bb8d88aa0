"""JOURNALING: the filled entry becomes an open trade (with the strategy, regime and confidence
that produced it) and the order is linked to its cycle; the order event goes on `trade:orders`."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.domain.events import OrderEvent
from trading_bot.domain.orders import Order
from trading_bot.pipeline.cycle import Cycle, stage
from trading_bot.pipeline.ports import Ports
from trading_bot.storage.repos import journal
from trading_bot.storage.repos.orders import upsert_order
from trading_bot.storage.streams import TRADE_ORDERS


def journal_entry(ports: Ports, cycle: Cycle, order: Order) -> str:
    """Returns the cycle's outcome: filled (a trade is open) or why nothing was traded."""
    assert cycle.decision is not None and cycle.verdict is not None and cycle.verdict.order is not None
    with stage(ports.db, cycle, "JOURNALING", ports.clock) as run:
        upsert_order(ports.db, order, run_id=ports.run_id, cycle_id=cycle.id, purpose="entry")
        ports.events.publish(TRADE_ORDERS, OrderEvent(order=order, cycle_id=cycle.id))
        if order.filled <= 0 or order.avg_px is None:
            run.outcome = "unfilled"
            return "unfilled"
        sized = cycle.verdict.order
        instrument = ports.exchange.instrument(cycle.inst_id)
        trade_id = journal.open_trade(ports.db, journal.OpenedTrade(
            cycle_id=cycle.id, instrument=cycle.inst_id, side=sized.side, strategy=cycle.decision.strategy,
            regime=_regime(cycle), confidence=Decimal(str(cycle.decision.confidence)), leverage=sized.leverage,
            size=order.filled, notional=instrument.notional(order.filled, order.avg_px), entry_ts=order.updated_at,
            entry_px=order.avg_px, stop_loss=sized.stop_loss, take_profit=sized.take_profit,
            entry_cl_ord_id=cycle.cl_ord_id, entry_ord_id=order.ord_id,
        ), ports.run_id)
        run.detail.update(trade_id=trade_id, entry_px=str(order.avg_px), size=str(order.filled))
        run.outcome = "trade_opened"
    return "filled"


def _regime(cycle: Cycle) -> str | None:
    """The regime of the fastest timeframe the snapshot has (15m by default)."""
    if cycle.snapshot is None:
        return None
    for view in cycle.snapshot.timeframes.values():
        if view.regime is not None:
            return view.regime.label
    return None
