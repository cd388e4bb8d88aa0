"""The trade journal's write side: a trade is opened when its entry fills and closed when its
position goes to zero (PnL, fees and funding as the exchange accumulated them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import func, select, update

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, Order, ReflectionLog, Trade


@dataclass(frozen=True)
class OpenedTrade:
    cycle_id: str
    instrument: str
    side: str  # long | short
    strategy: str
    regime: str | None
    confidence: Decimal | None
    leverage: Decimal
    size: Decimal  # contracts
    notional: Decimal
    entry_ts: datetime
    entry_px: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    entry_cl_ord_id: str | None
    entry_ord_id: str | None


def open_trade(db: Database, trade: OpenedTrade, run_id: str = LIVE_RUN) -> int:
    """Insert the trade once per cycle (a retried journal task finds the existing row)."""
    if db.journal is not None:
        book = db.journal.book
        trade_id = book.open_trade({
            "run_id": run_id, "cycle_id": trade.cycle_id, "instrument": trade.instrument, "side": trade.side,
            "status": "open", "strategy": trade.strategy, "regime": trade.regime, "confidence": trade.confidence,
            "leverage": trade.leverage, "size": trade.size, "notional": trade.notional, "entry_ts": trade.entry_ts,
            "entry_px": trade.entry_px, "stop_loss": trade.stop_loss, "take_profit": trade.take_profit,
            "entry_cl_ord_id": trade.entry_cl_ord_id})
        if trade.entry_ord_id:
            book.link_order(trade.instrument, trade.entry_ord_id, trade_id)
        return trade_id
    with db.session() as session:
        existing = session.scalar(select(Trade.id).where(Trade.cycle_id == trade.cycle_id))
        if existing is not None:
            return int(existing)
        row = Trade(
            run_id=run_id, cycle_id=trade.cycle_id, instrument=trade.instrument, side=trade.side, status="open",
            strategy=trade.strategy, regime=trade.regime, confidence=trade.confidence, leverage=trade.leverage,
            size=trade.size, notional=trade.notional, entry_ts=trade.entry_ts, entry_px=trade.entry_px,
            stop_loss=trade.stop_loss, take_profit=trade.take_profit, entry_cl_ord_id=trade.entry_cl_ord_id,
        )
        session.add(row)
        session.flush()
        if trade.entry_ord_id:
            session.execute(update(Order).where(Order.instrument == trade.instrument,
                                                Order.ord_id == trade.entry_ord_id).values(trade_id=row.id))
        return int(row.id)


@dataclass(frozen=True)
class ClosedTradeRow:
    id: int
    cycle_id: str | None
    instrument: str
    side: str
    strategy: str
    regime: str | None
    confidence: Decimal | None
    size: Decimal
    entry_ts: datetime
    entry_px: Decimal
    stop_loss: Decimal | None
    take_profit: Decimal | None
    exit_ts: datetime
    exit_px: Decimal | None
    realized_pnl: Decimal
    fees: Decimal
    funding: Decimal
    net_pnl: Decimal
    r_multiple: Decimal | None
    close_reason: str | None


def find_open_trade(db: Database, instrument: str, side: str, before: datetime, run_id: str = LIVE_RUN) -> int | None:
    """The newest open trade of this instrument and side that was entered before `before`."""
    if db.journal is not None:
        return db.journal.book.find_open_trade(instrument, side, before, run_id)
    with db.session() as session:
        found = session.scalar(
            select(Trade.id).where(Trade.run_id == run_id, Trade.instrument == instrument, Trade.side == side,
                                   Trade.status == "open", Trade.entry_ts <= before)
            .order_by(Trade.entry_ts.desc()).limit(1)
        )
        return None if found is None else int(found)


def close_trade(db: Database, trade_id: int, *, exit_ts: datetime, exit_px: Decimal | None, realized_pnl: Decimal,
                fees: Decimal, funding: Decimal, close_reason: str, ct_val: Decimal) -> ClosedTradeRow | None:
    """Close an open trade; None when it was already closed (the event was seen before)."""
    net = realized_pnl + fees + funding
    close = {"exit_ts": exit_ts, "exit_px": exit_px, "realized_pnl": realized_pnl, "fees": fees, "funding": funding,
             "net_pnl": net, "close_reason": close_reason}
    if db.journal is not None:
        book = db.journal.book
        opened = book.trade(trade_id)
        if opened is None or opened["status"] != "open":
            return None
        r_multiple = _r_multiple(net, opened["entry_px"], opened["stop_loss"], opened["size"], ct_val)
        closed = book.close_trade(trade_id, close | {"r_multiple": r_multiple})
        return None if closed is None else _closed_of(closed)
    with db.session() as session:
        row = session.get(Trade, trade_id, with_for_update=True)
        if row is None or row.status != "open":
            return None
        for column, value in close.items():
            setattr(row, column, value)
        row.status = "closed"
        row.r_multiple = _r_multiple(net, row.entry_px, row.stop_loss, row.size, ct_val)
        session.flush()
        return _closed(row)


_CLOSED_FIELDS = tuple(f.name for f in fields(ClosedTradeRow))


def _r_multiple(net: Decimal, entry: Decimal, stop: Decimal | None, size: Decimal, ct_val: Decimal) -> Decimal | None:
    """Net PnL in units of the planned risk (entry-to-stop distance × position size)."""
    if stop is None:
        return None
    risk = abs(entry - stop) * size * ct_val
    return None if risk == 0 else (net / risk).quantize(Decimal("0.0001"))


def _closed_of(row: dict[str, Any]) -> ClosedTradeRow:
    """A closed trade of the run's trade book (its row as a dictionary of the table's columns)."""
    return ClosedTradeRow(**{name: row[name] for name in _CLOSED_FIELDS})


def _closed(row: Trade) -> ClosedTradeRow:
    return ClosedTradeRow(
        id=row.id, cycle_id=row.cycle_id, instrument=row.instrument, side=row.side, strategy=row.strategy,
        regime=row.regime, confidence=row.confidence, size=row.size, entry_ts=row.entry_ts, entry_px=row.entry_px,
        stop_loss=row.stop_loss, take_profit=row.take_profit, exit_ts=row.exit_ts,  # type: ignore[arg-type]
        exit_px=row.exit_px, realized_pnl=row.realized_pnl, fees=row.fees,  # type: ignore[arg-type]
        funding=row.funding, net_pnl=row.net_pnl, r_multiple=row.r_multiple,  # type: ignore[arg-type]
        close_reason=row.close_reason,
    )


def recent_closed(db: Database, limit: int, run_id: str = LIVE_RUN, since: datetime | None = None) -> list[ClosedTradeRow]:
    """Closed trades, newest first."""
    if db.journal is not None:
        return [_closed_of(row) for row in islice(db.journal.book.closed_newest_first(run_id, since), limit)]
    query = select(Trade).where(Trade.run_id == run_id, Trade.status == "closed")
    if since is not None:
        query = query.where(Trade.exit_ts > since)
    query = query.order_by(Trade.exit_ts.desc(), Trade.id.desc()).limit(limit)
    with db.session() as session:
        return [_closed(row) for row in session.scalars(query).all()]


def first_exit(db: Database, run_id: str = LIVE_RUN) -> datetime | None:
    """When the run's first closed trade closed (None before any)."""
    if db.journal is not None:
        return db.journal.book.first_exit(run_id)
    query = select(func.min(Trade.exit_ts)).where(Trade.run_id == run_id, Trade.status == "closed")
    with db.session() as session:
        return session.scalar(query)


def count_closed_since(db: Database, since: datetime | None, run_id: str = LIVE_RUN) -> int:
    if db.journal is not None:
        return db.journal.book.count_closed_since(run_id, since)
    query = select(func.count()).select_from(Trade).where(Trade.run_id == run_id, Trade.status == "closed")
    if since is not None:
        query = query.where(Trade.exit_ts > since)
    with db.session() as session:
        return int(session.scalar(query) or 0)


def unreviewed_closed(db: Database, limit: int, run_id: str = LIVE_RUN) -> list[ClosedTradeRow]:
    """Closed trades without a post-trade review, oldest first."""
    if db.journal is not None:
        return [_closed_of(row) for row in db.journal.book.unreviewed_closed(run_id, limit)]
    reviewed = select(ReflectionLog.trade_id).where(ReflectionLog.kind == "post_trade",
                                                    ReflectionLog.trade_id.is_not(None))
    query = (select(Trade).where(Trade.run_id == run_id, Trade.status == "closed", Trade.id.not_in(reviewed))
             .order_by(Trade.exit_ts, Trade.id).limit(limit))
    with db.session() as session:
        return [_closed(row) for row in session.scalars(query).all()]
