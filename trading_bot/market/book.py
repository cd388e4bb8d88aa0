"""Order-book summary: best prices, spread and the depth imbalance of the top levels."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.domain.market import OrderBook
from trading_bot.domain.snapshot import BookSummary
from trading_bot.market.unavailable import Unavailable

DEPTH_LEVELS = 5


def summarize(book: OrderBook, levels: int = DEPTH_LEVELS) -> BookSummary | Unavailable:
    """Spread in price and basis points of the mid; imbalance = (bid depth − ask depth) / (bid + ask
    depth) over the best `levels` levels, in contracts (+1 = only bids, −1 = only asks)."""
    if not book.bids or not book.asks:
        side = "bid" if not book.bids else "ask"
        return Unavailable(f"the order book has no {side} levels")
    best_bid, best_ask = book.bids[0].price, book.asks[0].price
    if best_bid >= best_ask:
        return Unavailable(f"the order book is crossed (bid {best_bid} ≥ ask {best_ask})")
    bid_depth = sum((level.size for level in book.bids[:levels]), Decimal(0))
    ask_depth = sum((level.size for level in book.asks[:levels]), Decimal(0))
    total = bid_depth + ask_depth
    spread = best_ask - best_bid
    mid = (best_ask + best_bid) / 2
    return BookSummary(
        best_bid=best_bid,
        best_ask=best_ask,
        spread=spread,
        spread_bps=float(spread / mid * 10_000),
        imbalance=float((bid_depth - ask_depth) / total) if total > 0 else 0.0,
        bid_depth=bid_depth,
        ask_depth=ask_depth,
    )
