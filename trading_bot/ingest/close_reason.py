"""Why a position closed: liquidation, its take-profit, its stop-loss, or a close we sent.

Read from the closing orders OKX reported: a liquidation order says so in `category`; an order
triggered by a TP/SL algo carries the `algoId` (or a trigger `source`), and which of the two fired
is the level nearest the exit price; an order we sent ourselves has our clOrdId."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trading_bot.domain.events import CloseReason
from trading_bot.domain.orders import Position, closing_side
from trading_bot.storage.db import Database
from trading_bot.storage.repos.fills import fills_since
from trading_bot.storage.repos.orders import orders_with_raw
from trading_bot.storage.repos.protective_levels import journal_levels

TRIGGERED_SOURCES = frozenset({"6", "7", "13", "25"})  # OKX `source`: orders created by algo triggers


def close_reason(db: Database, position: Position, exit_px: Decimal | None, run_id: str) -> CloseReason:
    closing = [f for f in fills_since(db, position.inst_id, position.created_at, run_id)
               if f.side == closing_side(position.side) and f.pos_side == position.pos_side]
    orders = orders_with_raw(db, position.inst_id, sorted({f.ord_id for f in closing}))
    raws = [raw or {} for _, raw in orders]
    if any("liquidation" in str(raw.get("category", "")) for raw in raws):
        return "liquidation"
    if any(_triggered(raw) for raw in raws):
        return _which_level(db, position, exit_px, run_id)
    if any(order.cl_ord_id for order, _ in orders):
        return "manual"
    return "unknown"


def _triggered(raw: dict[str, Any]) -> bool:
    return bool(raw.get("algoId")) or str(raw.get("source", "")) in TRIGGERED_SOURCES


def _which_level(db: Database, position: Position, exit_px: Decimal | None, run_id: str) -> CloseReason:
    if exit_px is None:
        return "unknown"
    levels = journal_levels(db, run_id).get((position.inst_id, position.side))
    if levels is not None and levels.stop_loss is not None and levels.take_profit is not None:
        to_stop, to_target = abs(exit_px - levels.stop_loss), abs(exit_px - levels.take_profit)
        return "stop_loss" if to_stop <= to_target else "take_profit"
    gained = exit_px > position.avg_px if position.side == "long" else exit_px < position.avg_px
    return "take_profit" if gained else "stop_loss"
