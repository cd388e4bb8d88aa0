"""/profit: the run's whole result, freqtrade-style, from the journal and the cost ledger: closed
trades (price PnL, fees, funding, net; `backtest/trade_stats.py` over the same `ClosedTrade`s as
/performance), the open positions (unrealised PnL, fees and funding paid so far, as /positions
reads them), the LLM and research spend, and what is left after all of it.

The spend is in USD and the PnL in USDT; the total counts one USD as one USDT (and says so)."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.backtest.trade_stats import TradeStats, trade_stats
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.storage.repos.llm_calls import cost_before
from trading_bot.storage.repos.trades import closed_trades
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import duration, esc, pairs, pct, usd, usdt, utc
from trading_bot.telegram.views import Reply, Request, UsageError
from trading_bot.telegram.views.positions import Book, open_book, source_line

ZERO = Decimal(0)


def profit_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /profit (no arguments)")
    now = deps.now()
    stats = trade_stats(closed_trades(deps.db, deps.run_id, None, now))
    book = open_book(deps)
    open_net = _open_net(book)
    llm = cost_before(deps.db, now, deps.run_id)
    total = stats.net_pnl + open_net - llm if open_net is not None else None
    start = equity_repo.first_sample(deps.db, deps.run_id)
    parts = [f"<b>Profit</b> · all time <i>({esc(utc(now))})</i>",
             "<b>Closed trades</b>\n" + pairs(_closed_rows(stats)),
             "<b>Open positions</b>\n" + pairs(_open_rows(book, open_net)),
             "<b>After LLM cost</b>\n" + pairs(_total_rows(stats.net_pnl, open_net, llm, total, start))]
    return Reply("\n\n".join([*parts, *book.notes, source_line(book)]))


def _open_net(book: Book) -> Decimal | None:
    """Unrealised PnL plus the fees and funding already paid; None when a position has no price."""
    if any(line.upl is None for line in book.lines):
        return None
    return sum(((line.upl or ZERO) + (line.fees or ZERO) + (line.funding or ZERO) for line in book.lines), ZERO)


def _closed_rows(stats: TradeStats) -> list[tuple[str, str]]:
    if not stats.trades:
        return [("trades", "none closed yet")]
    return [
        ("trades", f"{stats.trades} ({stats.wins} won, {stats.losses} lost, {stats.breakeven} even)"),
        ("win rate", pct(stats.win_rate)),
        ("price PnL", usdt(stats.price_pnl, signed=True)),
        ("fees", usdt(stats.fees, signed=True)),
        ("funding", usdt(stats.funding, signed=True)),
        ("net", usdt(stats.net_pnl, signed=True)),
        ("best / worst", f"{usdt(stats.largest_win, signed=True)} / {usdt(stats.largest_loss, signed=True)}"),
        ("average hold", duration(stats.avg_hold)),
    ]


def _open_rows(book: Book, open_net: Decimal | None) -> list[tuple[str, str]]:
    if not book.lines:
        return [("positions", "none")]
    known = [line.upl for line in book.lines if line.upl is not None]
    fees = sum((line.fees or ZERO for line in book.lines), ZERO)
    funding = sum((line.funding or ZERO for line in book.lines), ZERO)
    upl = usdt(sum(known, ZERO), signed=True) if len(known) == len(book.lines) else "n/a (no price for a position)"
    return [("positions", str(len(book.lines))), ("uPnL", upl), ("fees", usdt(fees, signed=True)),
            ("funding", usdt(funding, signed=True)), ("net", usdt(open_net, signed=True))]


def _total_rows(closed: Decimal, open_net: Decimal | None, llm: Decimal, total: Decimal | None,
                start: equity_repo.EquitySample | None) -> list[tuple[str, str]]:
    rows = [("closed net", usdt(closed, signed=True)),
            ("LLM cost", f"{'-' if llm else ''}{usd(llm)} (LLM and research calls)"),
            ("closed − LLM", usdt(closed - llm, signed=True)),
            ("open net", usdt(open_net, signed=True)),
            ("total", f"{usdt(total, signed=True)} (1 USD counted as 1 USDT)")]
    if start is not None and start.equity and total is not None:
        rows.append(("return", f"{pct(total / start.equity, 2, signed=True)} of {usdt(start.equity)} at "
                               f"{utc(start.ts)}"))
    return rows
