"""`LiveSource`: the market as PostgreSQL (candles) and Redis (latest state, written by ws-public) hold it.

Redis keeps only the latest ticker, book, funding rate and mark price. For a snapshot in the past
(`trading-bot snapshot --at`) a value newer than `at` is refused with a reason rather than used;
open interest has a short history (storage/market_state.py), so it is looked up as of `at`.

A snapshot at `at` reads all it needs in two round trips, each made on its first read for that
`at`: one statement for the candles of every timeframe (closed window and forming bar), one Redis
pipeline for the latest state and the open interest now and an hour before. A source serves one
read per time, so build a new one to see newer data at the same `at` (`market.service` builds one
per snapshot). Other reads (another timeframe, window length or time) go to PostgreSQL or Redis
by themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

import numpy as np
import redis

from trading_bot.domain.market import (
    OI_CHANGE_SPAN,
    SNAPSHOT_TIMEFRAMES,
    Candle,
    FundingRate,
    MarkPrice,
    OpenInterest,
    OrderBook,
    Ticker,
    timeframe_delta,
)
from trading_bot.market.frame import CandleFrame
from trading_bot.market.indicators import DEFAULT_LOOKBACK
from trading_bot.market.unavailable import Unavailable
from trading_bot.storage import market_state
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import ClosedArrays, fetch_windows
from trading_bot.storage.streams import Keys

M = TypeVar("M", Ticker, OrderBook, FundingRate, MarkPrice, OpenInterest)


class LiveSource:
    def __init__(self, inst_id: str, db: Database, client: redis.Redis, keys: Keys,
                 timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES, lookback: int = DEFAULT_LOOKBACK) -> None:
        self.inst_id = inst_id
        self.db = db
        self.client = client
        self.keys = keys
        self.timeframes, self.lookback = tuple(timeframes), lookback  # what one statement reads per `at`
        self._candles: tuple[datetime, dict[str, tuple[ClosedArrays, Candle | None]]] | None = None
        self._state: tuple[datetime, dict[str, str | bytes | None], dict[datetime, OpenInterest | None]] | None = None

    def closed_candles(self, timeframe: str, at: datetime, limit: int) -> CandleFrame:
        batched = timeframe in self.timeframes and limit == self.lookback
        arrays = (self._windows(at) if batched else self._window_of(timeframe, at, limit))[timeframe][0]
        if not arrays.ms:
            return CandleFrame.empty(timeframe)
        return CandleFrame.from_arrays(timeframe, np.array(arrays.ms, dtype=np.int64),
                                       *(np.array(column, dtype=np.float64) for column in arrays[1:]))

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None:
        windows = self._windows(at) if timeframe in self.timeframes else self._window_of(timeframe, at, 1)
        return windows[timeframe][1]

    def ticker(self, at: datetime) -> Ticker | Unavailable:
        return self._latest("ticker", Ticker, "ticker", at)

    def book(self, at: datetime) -> OrderBook | Unavailable:
        return self._latest("books", OrderBook, "order book", at)

    def funding(self, at: datetime) -> FundingRate | Unavailable:
        return self._latest("funding", FundingRate, "funding rate", at)

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable:
        return self._latest("mark_price", MarkPrice, "mark price", at)

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        history = self._state[2] if self._state is not None else {}
        sample = history[at] if at in history else market_state.open_interest_at(
            self.client, self.keys, self.inst_id, at)
        if sample is not None:
            return sample
        return self._latest("open_interest", OpenInterest, "open interest", at)

    def _windows(self, at: datetime) -> dict[str, tuple[ClosedArrays, Candle | None]]:
        if self._candles is None or self._candles[0] != at:
            spans = {timeframe: timeframe_delta(timeframe) for timeframe in self.timeframes}
            self._candles = (at, fetch_windows(self.db, self.inst_id, at, spans, self.lookback))
        return self._candles[1]

    def _window_of(self, timeframe: str, at: datetime, limit: int) -> dict[str, tuple[ClosedArrays, Candle | None]]:
        """A read outside the batch (another timeframe or window length): that timeframe alone."""
        return fetch_windows(self.db, self.inst_id, at, {timeframe: timeframe_delta(timeframe)}, limit)

    def _latest(self, kind_key: str, model: type[M], kind: str, at: datetime) -> M | Unavailable:
        if self._state is None or self._state[0] != at:
            documents, history = market_state.read_state(self.client, self.keys, self.inst_id, (at, at - OI_CHANGE_SPAN))
            self._state = (at, documents, history)
        raw = self._state[1][kind_key]
        value = None if raw is None else model.model_validate_json(raw)
        if value is None:
            return Unavailable(f"no {kind} in Redis (written by ws-public)")
        if value.ts > at:  # (its time is not named: it would leak the future into the snapshot)
            return Unavailable(f"the latest {kind} is newer than the snapshot time and no history is kept")
        return value


