"""/positions: each open position with side, size, entry, mark, unrealised PnL, and its stop-loss
and take-profit with their distance from the mark.

Source: the open positions ws-private keeps in Redis (`Keys.positions()`, the exchange's own view,
refreshed on every push and after every reconnect), joined with the journal's open trades for the
SL/TP levels; so /positions never calls the exchange. When ws-private has written nothing (not
running yet), the journal's open trades are shown with ws-public's mark price (else the last traded
price), and the reply says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pydantic import TypeAdapter

from trading_bot.domain.market import MarkPrice, Ticker
from trading_bot.domain.orders import Position
from trading_bot.storage.market_state import get_latest
from trading_bot.storage.repos.trades import TradeRow, open_trades
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, number, pairs, pct, price, usdt, utc
from trading_bot.telegram.views import Reply, Request

OPEN_POSITIONS = TypeAdapter(list[Position])  # the JSON list ws-private writes at Keys.positions()


@dataclass(frozen=True)
class Line:
    inst_id: str
    side: str
    size: Decimal  # contracts
    leverage: Decimal | None
    entry: Decimal
    mark: Decimal | None
    upl: Decimal | None
    notional: Decimal | None  # USDT at entry
    stop_loss: Decimal | None
    take_profit: Decimal | None
    opened: datetime | None
    trade_id: int | None
    fees: Decimal | None  # paid so far (entry), negative = paid
    funding: Decimal | None  # settled so far, negative = paid


@dataclass(frozen=True)
class Book:
    """The open positions, where they were read from, and where the exchange and journal disagree."""

    lines: list[Line]
    source: str
    notes: list[str]


def live_positions(deps: BotDeps) -> list[Position] | None:
    """Open positions from Redis, or None when ws-private has never written them."""
    raw = deps.redis.get(deps.keys.positions())
    return None if raw is None else [p for p in OPEN_POSITIONS.validate_json(raw) if p.size > 0]


def _from_live(position: Position, trade: TradeRow | None) -> Line:
    return Line(position.inst_id, position.side, position.size, position.leverage, position.avg_px,
                position.mark_px, position.upl, trade.notional if trade else None,
                trade.stop_loss if trade else None, trade.take_profit if trade else None,
                trade.entry_ts if trade else position.created_at, trade.id if trade else None,
                position.fee, position.funding_fee)


def _mark(deps: BotDeps, inst_id: str) -> tuple[Decimal | None, str]:
    """The mark price ws-public keeps, else the last traded price, and which one it is."""
    mark = get_latest(deps.redis, deps.keys.mark_price(inst_id), MarkPrice)
    if mark is not None:
        return mark.mark_px, "mark price"
    ticker = get_latest(deps.redis, deps.keys.ticker(inst_id), Ticker)
    return (ticker.last, "last traded price") if ticker is not None else (None, "no price")


def _from_journal(deps: BotDeps, trade: TradeRow) -> Line:
    mark, _ = _mark(deps, trade.instrument)
    upl = None
    if mark is not None and trade.entry_px:
        direction = 1 if trade.side == "long" else -1
        upl = direction * (mark - trade.entry_px) / trade.entry_px * trade.notional
    return Line(trade.instrument, trade.side, trade.size, trade.leverage, trade.entry_px, mark, upl, trade.notional,
                trade.stop_loss, trade.take_profit, trade.entry_ts, trade.id, trade.fees, trade.funding)


def open_book(deps: BotDeps) -> Book:
    """What /positions, /count and /profit show as open: the exchange's view, else the journal's."""
    journal = {(t.instrument, t.side): t for t in open_trades(deps.db, deps.run_id)}
    live = live_positions(deps)
    notes: list[str] = []
    if live is not None:
        lines = [_from_live(p, journal.get((p.inst_id, p.side))) for p in live]
        held = {(p.inst_id, p.side) for p in live}
        notes += [f"⚠️ the journal has open trade #{t.id} ({esc(t.instrument)} {t.side}) but the exchange "
                  "reports no such position" for key, t in journal.items() if key not in held]
        source = "exchange positions (ws-private)"
    else:
        lines = [_from_journal(deps, t) for t in journal.values()]
        kinds = sorted({_mark(deps, t.instrument)[1] for t in journal.values()})
        source = f"the trade journal; ws-private has not reported positions; mark = {', '.join(kinds) or 'n/a'}"
    return Book(lines, source, notes)


def source_line(book: Book) -> str:
    return f"<i>Source: {book.source}.</i>"


def positions_view(deps: BotDeps, request: Request) -> Reply:
    book = open_book(deps)
    if not book.lines:
        return Reply("\n".join(["No open positions.", *book.notes, source_line(book)]))
    blocks = [_block(line) for line in book.lines]
    head = f"<b>{len(book.lines)} open position{'s' if len(book.lines) > 1 else ''}</b>"
    return Reply("\n\n".join([head, *blocks, *book.notes, source_line(book)]))


def _block(line: Line) -> str:
    lev = f" · {number(line.leverage, 0)}×" if line.leverage else ""
    ref = f" (trade #{line.trade_id})" if line.trade_id else " (no journal trade: SL/TP unknown)"
    title = f"<b>{esc(line.inst_id)} {line.side.upper()}</b> {number(line.size, 2)} contracts{lev}{ref}"
    upl_pct = line.upl / line.notional if line.upl is not None and line.notional else None
    rows = [("entry", price(line.entry)), ("mark", price(line.mark)),
            ("uPnL", f"{usdt(line.upl, signed=True)} ({pct(upl_pct, 2, signed=True)})" if upl_pct is not None
             else usdt(line.upl, signed=True)),
            ("SL", _level(line.stop_loss, line.mark)), ("TP", _level(line.take_profit, line.mark)),
            ("opened", utc(line.opened))]
    return f"{title}\n{pairs(rows)}"


def _level(level: Decimal | None, mark: Decimal | None) -> str:
    if level is None:
        return "none recorded"
    if not mark:
        return price(level)
    return f"{price(level)}  ({pct((level - mark) / mark, 2, signed=True)} from mark)"
