"""Equity samples (`account_snapshots`): the equity curve and drawdown source for Grafana/risk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from trading_bot.domain.orders import Account
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, AccountSnapshot
from trading_bot.storage.repos import risk_counters


def record_account(db: Database, account: Account, run_id: str = LIVE_RUN) -> bool:
    """Store one sample; False when a sample with the same timestamp exists already."""
    with db.session() as session:
        return risk_counters.record_account(session, run_id, account)


def latest_sample_ts(db: Database, run_id: str = LIVE_RUN) -> datetime | None:
    query = select(AccountSnapshot.ts).where(AccountSnapshot.run_id == run_id).order_by(AccountSnapshot.ts.desc())
    with db.session() as session:
        return session.scalar(query.limit(1))


def upsert_account(db: Database, account: Account, run_id: str = LIVE_RUN) -> None:
    """Store one sample, replacing one at the same time (a backtest's final equity, after closing
    what was open at its last instant)."""
    values = dict(equity=account.equity, available=account.available, frozen=account.frozen, upl=account.upl)
    stmt = insert(AccountSnapshot).values(run_id=run_id, ts=account.ts, **values).on_conflict_do_update(
        index_elements=["run_id", "ts"], set_=values)
    with db.session() as session:
        session.execute(stmt)
    if db.journal is not None:
        db.journal.replaced_account(run_id, account.ts, account.equity)
