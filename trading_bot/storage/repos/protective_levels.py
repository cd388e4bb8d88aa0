"""The stop-loss / take-profit levels the journal holds for positions (read by reconciliation to
restore a stop that vanished from the exchange): the open trade's levels, else the levels the
latest entry order carried."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, DecisionCycle, Trade
from trading_bot.storage.models import Order as OrderRow

Key = tuple[str, str]  # (instrument, long|short)


@dataclass(frozen=True)
class Levels:
    stop_loss: Decimal | None
    take_profit: Decimal | None
    open_trade: bool  # an open row in `trades` (False: only an entry order carried them)


def journal_levels(db: Database, run_id: str = LIVE_RUN) -> dict[Key, Levels]:
    levels = _entry_order_levels(db, run_id)
    trades = select(Trade.instrument, Trade.side, Trade.stop_loss, Trade.take_profit).where(
        Trade.run_id == run_id, Trade.status == "open").order_by(Trade.entry_ts)
    with db.session() as session:
        for instrument, side, stop, target in session.execute(trades):
            levels[(instrument, side)] = Levels(stop, target, open_trade=True)
    return levels


def entering(db: Database, run_id: str = LIVE_RUN) -> set[Key]:
    """The positions unfinished cycles are opening: between its fill and the commit of its trade a
    position is on the exchange but not yet in the journal (the sweeper ends a cycle that stopped
    moving, so a position no cycle journals is reported a sweep later)."""
    query = select(DecisionCycle.instrument, DecisionCycle.action).where(
        DecisionCycle.run_id == run_id, DecisionCycle.finished_at.is_(None),
        DecisionCycle.action.in_(("OPEN_LONG", "OPEN_SHORT")))
    with db.session() as session:
        return {(instrument, "long" if action == "OPEN_LONG" else "short")
                for instrument, action in session.execute(query)}


def _entry_order_levels(db: Database, run_id: str) -> dict[Key, Levels]:
    query = (select(OrderRow.instrument, OrderRow.side, OrderRow.sl_trigger_px, OrderRow.tp_trigger_px)
             .where(OrderRow.run_id == run_id, OrderRow.reduce_only.is_(False), OrderRow.sl_trigger_px.is_not(None))
             .order_by(OrderRow.created_at))
    levels: dict[Key, Levels] = {}
    with db.session() as session:
        for instrument, side, stop, target in session.execute(query):  # later rows win
            levels[(instrument, "long" if side == "buy" else "short")] = Levels(stop, target, open_trade=False)
    return levels
