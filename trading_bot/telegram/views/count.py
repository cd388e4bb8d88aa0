"""/count: open positions against the limit the risk gate enforces (`max_open_positions`, the hard
limit tightened by RISK_MAX_OPEN_POSITIONS), and whether new entries are allowed at all."""

from __future__ import annotations

from trading_bot.risk.status import BotState
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, number
from trading_bot.telegram.views import Reply, Request, UsageError
from trading_bot.telegram.views.positions import open_book, source_line
from trading_bot.telegram.views.state import describe


def count_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /count (no arguments)")
    limit = deps.settings.risk_limits().max_open_positions
    book = open_book(deps)
    held = len(book.lines)
    lines = [f"<b>Open positions</b> {held} of {limit} · {max(limit - held, 0)} free"]
    lines += [f"• {esc(line.inst_id)} {line.side} {number(line.size, 2)} contracts"
              + (f" (trade #{line.trade_id})" if line.trade_id else "") for line in book.lines]
    record = deps.state.current()
    if record.state is not BotState.RUNNING:
        lines.append(f"No new entries now: {describe(record)}")
    return Reply("\n".join([*lines, *book.notes, source_line(book)]))
