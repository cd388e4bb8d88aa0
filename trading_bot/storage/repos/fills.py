"""Fills in PostgreSQL: inserted once per (instrument, exchange trade id), whatever delivers them
(the orders channel, a REST catch-up after a reconnect, reconciliation). `published_at` is the
outbox mark of `trade:fills`: a fill is published until it is marked, and never after."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from trading_bot.domain.orders import Fill
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, FillRow


@dataclass(frozen=True)
class Stored:
    new: bool  # inserted by this call
    published: bool  # already on trade:fills


def insert_fill(db: Database, fill: Fill, run_id: str = LIVE_RUN) -> Stored:
    stmt = insert(FillRow).values(
        run_id=run_id, instrument=fill.inst_id, exchange_trade_id=fill.trade_id, ord_id=fill.ord_id,
        cl_ord_id=fill.cl_ord_id, side=fill.side, pos_side=fill.pos_side, price=fill.price, size=fill.size,
        fee=fill.fee, pnl=fill.pnl, exec_type=fill.exec_type, ts=fill.ts,
    ).on_conflict_do_nothing(index_elements=["instrument", "exchange_trade_id"]).returning(FillRow.id)
    with db.session() as session:
        if session.execute(stmt).first() is not None:
            return Stored(new=True, published=False)
        published = session.scalar(select(FillRow.published_at).where(
            FillRow.instrument == fill.inst_id, FillRow.exchange_trade_id == fill.trade_id))
        return Stored(new=False, published=published is not None)


def mark_published(db: Database, fill: Fill) -> None:
    """Stamped with the database's time, like `created_at`: when it went out, not market time."""
    with db.session() as session:
        session.execute(update(FillRow).where(FillRow.instrument == fill.inst_id,
                                              FillRow.exchange_trade_id == fill.trade_id)
                        .values(published_at=func.now()))


def fills_since(db: Database, inst_id: str, since: datetime, run_id: str = LIVE_RUN) -> list[Fill]:
    """Fills of an instrument at or after `since`, oldest first."""
    query = (select(FillRow).where(FillRow.run_id == run_id, FillRow.instrument == inst_id, FillRow.ts >= since)
             .order_by(FillRow.ts, FillRow.id))
    with db.session() as session:
        rows: Sequence[FillRow] = session.scalars(query).all()
        return [_to_domain(row) for row in rows]


def count_fills(db: Database, inst_id: str | None = None) -> int:
    query = select(func.count()).select_from(FillRow)
    if inst_id is not None:
        query = query.where(FillRow.instrument == inst_id)
    with db.session() as session:
        return int(session.scalar(query) or 0)


def _to_domain(row: FillRow) -> Fill:
    return Fill(
        trade_id=row.exchange_trade_id, ord_id=row.ord_id, cl_ord_id=row.cl_ord_id, inst_id=row.instrument,
        side=row.side, pos_side=row.pos_side, price=row.price, size=row.size, fee=row.fee,  # type: ignore[arg-type]
        pnl=row.pnl, exec_type=row.exec_type, ts=row.ts,  # type: ignore[arg-type]
    )
