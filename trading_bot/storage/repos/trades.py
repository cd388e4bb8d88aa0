"""`trades` read side: the journal's round trips (open and closed), and closed trades as the
metrics' `ClosedTrade` inputs. Writers are the pipeline's journal stage and the seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from trading_bot.backtest.inputs import ClosedTrade
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, Trade


@dataclass(frozen=True)
class TradeRow:
    id: int
    cycle_id: str | None
    instrument: str
    side: str
    status: str
    strategy: str
    regime: str | None
    confidence: Decimal | None
    leverage: Decimal
    size: Decimal
    notional: Decimal
    entry_ts: datetime
    entry_px: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    exit_ts: datetime | None
    exit_px: Decimal | None
    close_reason: str | None
    realized_pnl: Decimal | None
    fees: Decimal | None
    funding: Decimal | None
    net_pnl: Decimal | None
    r_multiple: Decimal | None


_FIELDS = tuple(TradeRow.__dataclass_fields__)


def _row(row: Trade) -> TradeRow:
    return TradeRow(**{name: getattr(row, name) for name in _FIELDS})


def get_trade(db: Database, trade_id: int) -> TradeRow | None:
    with db.session() as session:
        row = session.get(Trade, trade_id)
        return _row(row) if row is not None else None


def trade_of_cycle(db: Database, cycle_id: str) -> TradeRow | None:
    with db.session() as session:
        row = session.scalars(select(Trade).where(Trade.cycle_id == cycle_id)).first()
        return _row(row) if row is not None else None


def recent_closed(db: Database, limit: int, run_id: str = LIVE_RUN) -> list[TradeRow]:
    """The `limit` most recently closed trades, newest first."""
    query = (select(Trade).where(Trade.run_id == run_id, Trade.status == "closed")
             .order_by(Trade.exit_ts.desc(), Trade.id.desc()).limit(limit))
    with db.session() as session:
        return [_row(row) for row in session.scalars(query)]


def open_trades(db: Database, run_id: str = LIVE_RUN) -> list[TradeRow]:
    query = select(Trade).where(Trade.run_id == run_id, Trade.status == "open").order_by(Trade.entry_ts)
    with db.session() as session:
        return [_row(row) for row in session.scalars(query)]


def _exit_within(start: datetime | None, end: datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(Trade.exit_ts >= start)
    if end is not None:
        conditions.append(Trade.exit_ts < end)
    return conditions


def closed_trades(db: Database, run_id: str = LIVE_RUN, start: datetime | None = None,
                  end: datetime | None = None) -> list[ClosedTrade]:
    """Closed trades whose exit lies in [start, end), in closing order, as metric inputs."""
    query = (select(Trade).where(Trade.run_id == run_id, Trade.status == "closed", *_exit_within(start, end))
             .order_by(Trade.exit_ts, Trade.id))
    with db.session() as session:
        return [to_closed_trade(_row(row)) for row in session.scalars(query)]


def realised_between(db: Database, start: datetime, end: datetime, run_id: str = LIVE_RUN) -> tuple[int, Decimal]:
    """(closed trades, their net PnL) with the exit in [start, end)."""
    query = select(func.count(), func.coalesce(func.sum(Trade.net_pnl), 0)).where(
        Trade.run_id == run_id, Trade.status == "closed", *_exit_within(start, end))
    with db.session() as session:
        count, total = session.execute(query).one()
    return int(count), Decimal(total or 0)


def to_closed_trade(row: TradeRow) -> ClosedTrade:
    """Price PnL is `realized_pnl`, else derived from `net_pnl` minus fees and funding."""
    if row.exit_ts is None:
        raise ValueError(f"trade {row.id} is closed but has no exit time")
    fees, funding = row.fees or Decimal(0), row.funding or Decimal(0)
    if row.realized_pnl is not None:
        pnl = row.realized_pnl
    elif row.net_pnl is not None:
        pnl = row.net_pnl - fees - funding
    else:
        raise ValueError(f"trade {row.id} is closed but has neither realized_pnl nor net_pnl")
    return ClosedTrade(
        entry_ts=row.entry_ts, exit_ts=row.exit_ts, pnl=pnl, fees=fees, funding=funding, side=row.side,
        strategy=row.strategy, regime=row.regime, instrument=row.instrument, entry_px=row.entry_px,
        exit_px=row.exit_px, size=row.size, notional=row.notional,
        confidence=float(row.confidence) if row.confidence is not None else None,
        r_multiple=row.r_multiple, trade_id=row.id,
    )
