"""The account as the views show it: ws-private's live summary in Redis, else the newest equity
sample in the database (ws-private not running), with a note saying which and how old."""

from __future__ import annotations

from datetime import datetime

from trading_bot.domain.orders import Account
from trading_bot.storage.market_state import get_latest
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import ago


def current_account(deps: BotDeps, now: datetime) -> tuple[Account | None, str]:
    """(the account, "(live, 12s ago)" / "(snapshot 5m 00s ago)" / "(no account data yet)")."""
    account = get_latest(deps.redis, deps.keys.account(), Account)
    if account is not None:
        return account, f"(live, {ago(account.ts, now)})"
    sample = equity_repo.latest_at(deps.db, now, deps.run_id)
    if sample is None:
        return None, "(no account data yet)"
    snapshot = Account(equity=sample.equity, available=sample.available, frozen=sample.frozen, upl=sample.upl,
                       ts=sample.ts)
    return snapshot, f"(snapshot {ago(sample.ts, now)})"
