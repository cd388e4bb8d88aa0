"""`LiveSource`: the market as PostgreSQL (candles) and Redis (latest state, written by ws-public) hold it.

Redis keeps only the latest ticker, book, funding rate and mark price. For a snapshot in the past
(`trading-bot snapshot --at`) a value newer than `at` is refused with a reason rather than used;
open interest has a short history (storage/market_state.py), so it is looked up as of `at`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import numpy as np
import redis

from trading_bot.clock import to_ms
from trading_bot.domain.market import (
    Candle,
    FundingRate,
    MarkPrice,
    OpenInterest,
    OrderBook,
    Ticker,
    timeframe_delta,
)
from trading_bot.market.frame import CandleFrame
from trading_bot.market.unavailable import Unavailable
from trading_bot.storage import market_state
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import fetch_closed_ohlcv, fetch_forming
from trading_bot.storage.streams import Keys

M = TypeVar("M", Ticker, OrderBook, FundingRate, MarkPrice, OpenInterest)


class LiveSource:
    def __init__(self, inst_id: str, db: Database, client: redis.Redis, keys: Keys) -> None:
        self.inst_id = inst_id
        self.db = db
        self.client = client
        self.keys = keys

    def closed_candles(self, timeframe: str, at: datetime, limit: int) -> CandleFrame:
        rows = fetch_closed_ohlcv(self.db, self.inst_id, timeframe, at - timeframe_delta(timeframe), limit)
        if not rows:
            return CandleFrame.empty(timeframe)
        columns = list(zip(*rows, strict=True))
        stamps = np.array([to_ms(ts) for ts in columns[0]], dtype=np.int64)
        return CandleFrame.from_arrays(timeframe, stamps, *(np.array(col, dtype=np.float64) for col in columns[1:]))

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None:
        return fetch_forming(self.db, self.inst_id, timeframe, at - timeframe_delta(timeframe), at)

    def ticker(self, at: datetime) -> Ticker | Unavailable:
        return self._latest(self.keys.ticker(self.inst_id), Ticker, "ticker", at)

    def book(self, at: datetime) -> OrderBook | Unavailable:
        return self._latest(self.keys.books(self.inst_id), OrderBook, "order book", at)

    def funding(self, at: datetime) -> FundingRate | Unavailable:
        return self._latest(self.keys.funding(self.inst_id), FundingRate, "funding rate", at)

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable:
        return self._latest(self.keys.mark_price(self.inst_id), MarkPrice, "mark price", at)

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        sample = market_state.open_interest_at(self.client, self.keys, self.inst_id, at)
        if sample is not None:
            return sample
        return self._latest(self.keys.open_interest(self.inst_id), OpenInterest, "open interest", at)

    def _latest(self, key: str, model: type[M], kind: str, at: datetime) -> M | Unavailable:
        value = market_state.get_latest(self.client, key, model)
        if value is None:
            return Unavailable(f"no {kind} in Redis (written by ws-public)")
        if value.ts > at:  # (its time is not named: it would leak the future into the snapshot)
            return Unavailable(f"the latest {kind} is newer than the snapshot time and no history is kept")
        return value


