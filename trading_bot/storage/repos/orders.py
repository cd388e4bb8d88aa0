"""Orders in PostgreSQL: idempotent upserts from exchange pushes and REST catch-up.

A row is keyed by (instrument, ord_id). The pipeline may create it first (with cycle_id and
purpose); ws-private and reconciliation then update the exchange-owned columns without touching
those links. An update older than the stored one (pushes can arrive out of order, a REST
catch-up can lag) never overwrites newer state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, null, select
from sqlalchemy.dialects.postgresql import insert

from trading_bot.domain.orders import Order
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.models import Order as OrderRow
from trading_bot.storage.run_trade_book import EXCHANGE_COLUMNS, KEPT_UNLESS_GIVEN

OPEN_STATES = ("live", "partially_filled")


@dataclass(frozen=True)
class OrderProgress:
    """What the database knew about an order before an update (to derive a fill's own fee)."""

    state: str
    filled: Decimal
    fee: Decimal
    pnl: Decimal
    cycle_id: str | None


def _values(order: Order, raw: dict[str, Any] | None, run_id: str) -> dict[str, Any]:
    return {
        "run_id": run_id, "ord_id": order.ord_id, "cl_ord_id": order.cl_ord_id, "instrument": order.inst_id,
        "side": order.side, "pos_side": order.pos_side, "ord_type": order.ord_type, "state": order.state,
        "size": order.size, "price": order.price, "avg_px": order.avg_px, "filled": order.filled, "fee": order.fee,
        "pnl": order.pnl, "reduce_only": order.reduce_only, "sl_trigger_px": order.sl_trigger_px,
        "tp_trigger_px": order.tp_trigger_px, "raw": raw if raw is not None else null(),
        "created_at": order.created_at,
        "updated_at": order.updated_at,
    }


def upsert_order(
    db: Database, order: Order, raw: dict[str, Any] | None = None, *, run_id: str = LIVE_RUN,
    cycle_id: str | None = None, purpose: str | None = None,
) -> OrderProgress | None:
    """Insert or update one order; returns the progress stored before (None if it is new)."""
    values = _values(order, raw, run_id) | {"cycle_id": cycle_id, "purpose": purpose}
    if db.journal is not None:
        stored = db.journal.book.upsert_order(values | {"raw": raw})
        return OrderProgress(*stored) if stored is not None else None
    with db.session() as session:
        before = session.execute(
            select(OrderRow.state, OrderRow.filled, OrderRow.fee, OrderRow.pnl, OrderRow.cycle_id)
            .where(OrderRow.instrument == order.inst_id, OrderRow.ord_id == order.ord_id)
            .with_for_update()
        ).first()
        stmt = insert(OrderRow).values(values)
        excluded = stmt.excluded
        updates: dict[str, Any] = {column: getattr(excluded, column) for column in EXCHANGE_COLUMNS}
        for column in KEPT_UNLESS_GIVEN:
            updates[column] = func.coalesce(getattr(excluded, column), getattr(OrderRow, column))
        session.execute(stmt.on_conflict_do_update(
            index_elements=["instrument", "ord_id"], set_=updates,
            where=OrderRow.updated_at <= excluded.updated_at,
        ))
    return OrderProgress(*before) if before is not None else None


def open_orders(db: Database, inst_id: str | None = None, run_id: str = LIVE_RUN) -> list[Order]:
    """Orders the database believes are still working (live or partially filled)."""
    query = select(OrderRow).where(OrderRow.run_id == run_id, OrderRow.state.in_(OPEN_STATES))
    if inst_id is not None:
        query = query.where(OrderRow.instrument == inst_id)
    with db.session() as session:
        rows: Sequence[OrderRow] = session.scalars(query.order_by(OrderRow.created_at)).all()
        return [_to_domain(row) for row in rows]


def get_order(db: Database, inst_id: str, ord_id: str) -> Order | None:
    with db.session() as session:
        row = session.scalar(select(OrderRow).where(OrderRow.instrument == inst_id, OrderRow.ord_id == ord_id))
        return _to_domain(row) if row is not None else None


def orders_with_raw(db: Database, inst_id: str, ord_ids: list[str]) -> list[tuple[Order, dict[str, Any] | None]]:
    """The stored orders among `ord_ids`, each with the exchange payload it was last stored from."""
    query = select(OrderRow).where(OrderRow.instrument == inst_id, OrderRow.ord_id.in_(ord_ids))
    with db.session() as session:
        return [(_to_domain(row), row.raw) for row in session.scalars(query)]


def count_by_cl_ord_id(db: Database, cl_ord_id: str) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(OrderRow).where(OrderRow.cl_ord_id == cl_ord_id)) or 0)


def _to_domain(row: OrderRow) -> Order:
    return Order(
        ord_id=row.ord_id, cl_ord_id=row.cl_ord_id, inst_id=row.instrument, side=row.side,  # type: ignore[arg-type]
        pos_side=row.pos_side, ord_type=row.ord_type, state=row.state,  # type: ignore[arg-type]
        size=row.size, price=row.price, avg_px=row.avg_px, filled=row.filled, fee=row.fee, pnl=row.pnl,
        reduce_only=row.reduce_only, sl_trigger_px=row.sl_trigger_px, tp_trigger_px=row.tp_trigger_px,
        created_at=row.created_at, updated_at=row.updated_at,
    )
