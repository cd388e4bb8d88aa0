"""/balance: the USDT futures account (equity, available, margin in use, unrealised PnL) as
ws-private last reported it, else the newest equity sample, and the change since the run's first
sample (its starting equity)."""

from __future__ import annotations

from trading_bot.storage.repos import equity as equity_repo
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, pairs, pct, usdt, utc
from trading_bot.telegram.views import Reply, Request, UsageError
from trading_bot.telegram.views.account import current_account


def balance_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /balance (no arguments)")
    now = deps.now()
    account, note = current_account(deps, now)
    if account is None:
        return Reply(f"<b>Balance</b>\n\nNo account data yet: ws-private has not reported and no equity sample "
                     f"is recorded. <i>({esc(utc(now))})</i>")
    rows = [("equity", usdt(account.equity)), ("available", usdt(account.available)),
            ("in use", f"{usdt(account.frozen)} (margin and pending orders)"),
            ("uPnL", usdt(account.upl, signed=True))]
    start = equity_repo.first_sample(deps.db, deps.run_id)
    if start is not None and start.equity:
        change = account.equity - start.equity
        rows.append(("since start", f"{usdt(change, signed=True)} ({pct(change / start.equity, 2, signed=True)}) "
                                    f"from {usdt(start.equity)} at {utc(start.ts)}"))
    return Reply(f"<b>Balance</b> · {esc(account.ccy)} {note}\n\n{pairs(rows)}\n\n<i>{esc(utc(now))}</i>")
