"""`account_snapshots` read side: the equity curve (metrics, drawdown) and equity at a moment
(the baseline of "today's PnL"). ws-private and backtests write the samples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from trading_bot.backtest.inputs import EquityPoint
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, AccountSnapshot


@dataclass(frozen=True)
class EquitySample:
    ts: datetime
    equity: Decimal
    available: Decimal
    upl: Decimal
    frozen: Decimal  # margin in use and held by pending orders


def _sample(row: AccountSnapshot) -> EquitySample:
    return EquitySample(row.ts, row.equity, row.available, row.upl, row.frozen)


def latest_at(db: Database, when: datetime, run_id: str = LIVE_RUN) -> EquitySample | None:
    """The newest sample taken at or before `when`."""
    query = (select(AccountSnapshot).where(AccountSnapshot.run_id == run_id, AccountSnapshot.ts <= when)
             .order_by(AccountSnapshot.ts.desc()).limit(1))
    with db.session() as session:
        row = session.scalars(query).first()
        return None if row is None else _sample(row)


def first_sample(db: Database, run_id: str = LIVE_RUN) -> EquitySample | None:
    """The run's oldest sample: its starting equity."""
    query = select(AccountSnapshot).where(AccountSnapshot.run_id == run_id).order_by(AccountSnapshot.ts).limit(1)
    with db.session() as session:
        row = session.scalars(query).first()
        return None if row is None else _sample(row)


def series(db: Database, run_id: str = LIVE_RUN, start: datetime | None = None,
           end: datetime | None = None) -> list[EquityPoint]:
    """Samples in [start, end], oldest first."""
    query = select(AccountSnapshot.ts, AccountSnapshot.equity).where(AccountSnapshot.run_id == run_id)
    if start is not None:
        query = query.where(AccountSnapshot.ts >= start)
    if end is not None:
        query = query.where(AccountSnapshot.ts <= end)
    with db.session() as session:
        return [EquityPoint(ts, equity) for ts, equity in session.execute(query.order_by(AccountSnapshot.ts))]
