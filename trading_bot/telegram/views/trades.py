"""/trades [n]: the last n closed trades (default 10, at most 50) from the journal."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.storage.repos import trades as repo
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, number, price, table, usdt
from trading_bot.telegram.views import Reply, Request, UsageError, whole_number

DEFAULT_COUNT = 10
MAX_COUNT = 50
USAGE = f"usage: /trades [n], the last n closed trades (n from 1 to {MAX_COUNT}, default {DEFAULT_COUNT})"
REASONS = {"take_profit": "TP", "stop_loss": "SL", "manual": "manual", "liquidation": "LIQ", "time": "time"}


def trades_view(deps: BotDeps, request: Request) -> Reply:
    if len(request.args) > 1:
        raise UsageError(USAGE)
    try:
        count = whole_number(request.args[0], "n", 1, MAX_COUNT) if request.args else DEFAULT_COUNT
    except UsageError as exc:
        raise UsageError(f"{exc}. {USAGE}") from None
    rows = repo.recent_closed(deps.db, count, deps.run_id)
    if not rows:
        return Reply("No closed trades yet.")
    lines = [("id", "closed UTC", "side", "entry → exit", "net USDT", "R", "exit")]
    for row in rows:
        lines.append((f"#{row.id}", f"{row.exit_ts:%m-%d %H:%M}" if row.exit_ts else "?", row.side,
                      f"{price(row.entry_px)} → {price(row.exit_px)}", number(row.net_pnl, 2, signed=True),
                      number(row.r_multiple, 1, signed=True) if row.r_multiple is not None else "",
                      REASONS.get(row.close_reason or "", row.close_reason or "?")))
    total = sum((row.net_pnl or Decimal(0) for row in rows), Decimal(0))
    wins = sum(1 for row in rows if (row.net_pnl or 0) > 0)
    head = f"<b>Last {len(rows)} closed trades</b> ({esc(rows[0].instrument) if _one_instrument(rows) else 'all'})"
    foot = f"{wins} won, {len(rows) - wins} lost · net {usdt(total, signed=True)} · /why &lt;id&gt; explains one"
    return Reply(f"{head}\n\n{table(lines, right=(4, 5))}\n\n{foot}")


def _one_instrument(rows: list[repo.TradeRow]) -> bool:
    return len({row.instrument for row in rows}) == 1
