"""A kept backtest database gets the run's price history: the 15m bars the venue replayed over
the run's period go into `candles`, so `trading-bot report --run-id` (price chart, buy-and-hold)
and Grafana show the prices beside the trades, as they do for the live run. A throwaway database
is not given them: nothing reads it after the run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from trading_bot.domain.market import Candle
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import upsert_candles

TIMEFRAME = "15m"
PAGE = 1_000


def _closed_bars(exchange: InProcessExchange, inst_id: str, start: datetime, end: datetime) -> Iterator[Candle]:
    """The closed bars that closed within [start, end], newest first, paged from the venue's end."""
    before = None
    while True:
        page = [c for c in exchange.candles(inst_id, TIMEFRAME, PAGE, before=before) if c.confirmed]
        if not page:
            return
        for candle in reversed(page):  # the venue answers oldest first
            if start <= candle.close_time <= end:
                yield candle
        if page[0].close_time < start:
            return
        before = page[0].ts


def keep_candles(exchange: InProcessExchange, inst_id: str, start: datetime, end: datetime, db: Database) -> int:
    """Store the run's bars; returns how many."""
    return upsert_candles(db, _closed_bars(exchange, inst_id, start, end))
