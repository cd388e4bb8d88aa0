"""What the risk counters are derived from: the equity curve (`account_snapshots`) and the trade
journal (`trades`). Read-only apart from `record_account`, which stores an equity observation the
same way ws-private does (idempotent per run and timestamp)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from trading_bot.domain.orders import Account
from trading_bot.storage.db import table_of
from trading_bot.storage.models import AccountSnapshot, Trade
from trading_bot.storage.run_journal import journal_of

STREAK_SCAN = 100  # closed trades looked at for the losing streak


# a Core statement on the table, built once: this runs at every cycle and every account push
_accounts = table_of(AccountSnapshot)
_RECORD_ACCOUNT = (insert(_accounts)
                   .on_conflict_do_nothing(index_elements=["run_id", "ts"])
                   .returning(_accounts.c.id))


def record_account(session: Session, run_id: str, account: Account) -> bool:
    """Store one equity observation; False when the run already has one at that timestamp."""
    journal = journal_of(session)
    if journal is not None:
        return journal.record_account(run_id, account.ts, account.equity, account.available, account.frozen,
                                      account.upl)
    row = session.execute(_RECORD_ACCOUNT, {"run_id": run_id, "ts": account.ts, "equity": account.equity,
                                            "available": account.available, "frozen": account.frozen,
                                            "upl": account.upl}).first()
    return row is not None


def latest_equity(session: Session, run_id: str) -> Decimal | None:
    query = (select(AccountSnapshot.equity).where(AccountSnapshot.run_id == run_id)
             .order_by(AccountSnapshot.ts.desc()).limit(1))
    return session.scalar(query)


def equity_at(session: Session, run_id: str, when: datetime) -> Decimal | None:
    """Equity at `when`: the last observation at or before it, else the first one after it."""
    journal = journal_of(session)
    if journal is not None and journal.knows_equity_of(run_id):
        return journal.equity_at(when)
    before = (select(AccountSnapshot.equity).where(AccountSnapshot.run_id == run_id, AccountSnapshot.ts <= when)
              .order_by(AccountSnapshot.ts.desc()).limit(1))
    value = session.scalar(before)
    if value is not None:
        return value
    after = (select(AccountSnapshot.equity).where(AccountSnapshot.run_id == run_id, AccountSnapshot.ts > when)
             .order_by(AccountSnapshot.ts.asc()).limit(1))
    return session.scalar(after)


def peak_equity_since(session: Session, run_id: str, since: datetime | None) -> Decimal | None:
    """Highest equity observed after `since` (all time when None), counting the equity at `since`."""
    journal = journal_of(session)
    if journal is not None and journal.knows_equity_of(run_id):
        return journal.peak_equity_since(since)
    query = select(func.max(AccountSnapshot.equity)).where(AccountSnapshot.run_id == run_id)
    if since is None:
        return session.scalar(query)
    peak = session.scalar(query.where(AccountSnapshot.ts > since))
    start = equity_at(session, run_id, since)
    known = [value for value in (peak, start) if value is not None]
    return max(known) if known else None


def losing_streak(session: Session, run_id: str) -> tuple[int, datetime | None]:
    """(losing closed trades in a row, newest first; exit time of the newest of them). A trade
    loses when its net PnL (price PnL + fees + funding) is below zero; zero ends a streak."""
    journal = journal_of(session)
    if journal is not None:
        closed = islice(journal.book.closed_newest_first(run_id), STREAK_SCAN)
        return _streak((row["net_pnl"], row["realized_pnl"], row["fees"], row["funding"], row["exit_ts"])
                       for row in closed)
    query = (select(Trade.net_pnl, Trade.realized_pnl, Trade.fees, Trade.funding, Trade.exit_ts)
             .where(Trade.run_id == run_id, Trade.status == "closed", Trade.exit_ts.is_not(None))
             .order_by(Trade.exit_ts.desc(), Trade.id.desc()).limit(STREAK_SCAN))
    return _streak(session.execute(query))


def _streak(closed: Iterable[Any]) -> tuple[int, datetime | None]:
    streak, newest = 0, None
    for net, realized, fees, funding, exit_ts in closed:
        pnl = net if net is not None else (realized or 0) + (fees or 0) + (funding or 0)
        if pnl >= 0:
            break
        streak += 1
        newest = newest or exit_ts
    return streak, newest
