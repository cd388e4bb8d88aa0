"""Closed positions (`positions_history`), one row per close as ws-private observed it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from trading_bot.domain.events import PositionClosed
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, PositionHistory


def record_closed_position(db: Database, event: PositionClosed, run_id: str = LIVE_RUN) -> bool:
    """True when stored, False when this close (instrument, side, time) is already recorded."""
    stmt = insert(PositionHistory).values(
        run_id=run_id, instrument=event.inst_id, side=event.side, pos_id=event.pos_id, size=event.size,
        entry_px=event.entry_px, exit_px=event.exit_px, realized_pnl=event.realized_pnl, fees=event.fees,
        funding=event.funding, close_reason=event.close_reason, opened_at=event.opened_at,
        closed_at=event.closed_at,
    ).on_conflict_do_nothing(index_elements=["run_id", "instrument", "side", "closed_at"]).returning(PositionHistory.id)
    with db.session() as session:
        return session.execute(stmt).first() is not None


def closed_positions(db: Database, inst_id: str, run_id: str = LIVE_RUN) -> list[PositionClosed]:
    query = (select(PositionHistory).where(PositionHistory.run_id == run_id, PositionHistory.instrument == inst_id)
             .order_by(PositionHistory.closed_at))
    with db.session() as session:
        rows: Sequence[PositionHistory] = session.scalars(query).all()
        return [_to_event(row) for row in rows]


def _to_event(row: PositionHistory) -> PositionClosed:
    return PositionClosed(
        inst_id=row.instrument, side=row.side, size=row.size, entry_px=row.entry_px,  # type: ignore[arg-type]
        exit_px=row.exit_px, realized_pnl=row.realized_pnl, fees=row.fees, funding=row.funding,
        opened_at=row.opened_at, closed_at=row.closed_at, pos_id=row.pos_id,
        close_reason=row.close_reason or "unknown",  # type: ignore[arg-type]
    )
