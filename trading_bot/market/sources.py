"""Where a snapshot's data comes from: the `MarketSource` port and its in-memory adapter.

A source answers for one instrument "as of `at`": closed bars opened at or before `at − timeframe`
(so closed by `at`), the bar forming at `at`, and the newest ticker, book, funding, mark price and
open interest with timestamps ≤ `at`. Anything newer than `at` is never returned (no look-ahead): a
source that only keeps the latest value says so with `Unavailable` instead.

`MemorySource` serves backtests and tests from arrays and lists; `LiveSource` (market/live_source.py)
reads PostgreSQL and Redis. The builder cannot tell them apart, which is what makes a backtest
snapshot equal to a live one built from the same data.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Generic, Protocol, TypeVar

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

S = TypeVar("S", Ticker, OrderBook, FundingRate, MarkPrice, OpenInterest)


class MarketSource(Protocol):
    inst_id: str

    def closed_candles(self, timeframe: str, at: datetime, limit: int) -> CandleFrame:
        """The last `limit` closed bars by `at`, oldest first."""
        ...

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None: ...

    def ticker(self, at: datetime) -> Ticker | Unavailable: ...

    def book(self, at: datetime) -> OrderBook | Unavailable: ...

    def funding(self, at: datetime) -> FundingRate | Unavailable: ...

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable: ...

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        """The newest open-interest sample taken at or before `at`."""
        ...


@dataclass
class Timeline(Generic[S]):
    """Timestamped states of one kind, looked up as of a time."""

    kind: str
    items: Sequence[S] = ()
    _stamps: list[datetime] = field(init=False, repr=False)
    _none: Unavailable = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._none = Unavailable(f"no {self.kind} data")
        self.items = sorted(self.items, key=lambda item: item.ts)
        self._stamps = [item.ts for item in self.items]

    def at(self, when: datetime) -> S | Unavailable:
        if not self.items:
            return self._none
        index = bisect.bisect_right(self._stamps, when)
        if index == 0:
            return Unavailable(f"no {self.kind} at or before {when:%Y-%m-%d %H:%M:%S}Z")
        return self.items[index - 1]


@dataclass
class MarketState:
    """Histories of the non-candle market data a memory source serves."""

    tickers: Sequence[Ticker] = ()
    books: Sequence[OrderBook] = ()
    funding: Sequence[FundingRate] = ()
    mark_prices: Sequence[MarkPrice] = ()
    open_interest: Sequence[OpenInterest] = ()


class FrameBars:
    """Closed candles from in-memory frames (`frames`: timeframe → closed bars), for the sources
    that hold them: MemorySource and the backtest's source (backtest/source.py)."""

    frames: dict[str, CandleFrame]

    def closed_candles(self, timeframe: str, at: datetime, limit: int) -> CandleFrame:
        frame = self.frames.get(timeframe)
        if frame is None:
            return CandleFrame.empty(timeframe)
        stop = frame.closed_count(at)
        return frame.slice(max(0, stop - limit), stop)


class MemorySource(FrameBars):
    """Candles from in-memory frames of closed bars, market state from timelines.

    With `ticker_timeframe` set (backtests), a missing ticker is stood in for by the close of the last
    closed bar of that timeframe, stamped at its close time: the price the backtest trades at."""

    def __init__(self, inst_id: str, frames: dict[str, CandleFrame], state: MarketState | None = None,
                 forming: Sequence[Candle] = (), ticker_timeframe: str | None = None) -> None:
        self.inst_id = inst_id
        self.frames = frames
        state = state or MarketState()
        self._tickers = Timeline("ticker", state.tickers)
        self._books = Timeline("order book", state.books)
        self._funding = Timeline("funding rate", state.funding)
        self._marks = Timeline("mark price", state.mark_prices)
        self._oi = Timeline("open-interest sample", state.open_interest)
        self._forming = list(forming)
        self._ticker_timeframe = ticker_timeframe

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None:
        if not self._forming:
            return None
        span = timeframe_delta(timeframe)
        matches = [c for c in self._forming if c.timeframe == timeframe and c.ts <= at < c.ts + span]
        return matches[-1] if matches else None

    def ticker(self, at: datetime) -> Ticker | Unavailable:
        found = self._tickers.at(at)
        if isinstance(found, Unavailable) and self._ticker_timeframe is not None:
            return self._ticker_from_close(at) or found
        return found

    def book(self, at: datetime) -> OrderBook | Unavailable:
        return self._books.at(at)

    def funding(self, at: datetime) -> FundingRate | Unavailable:
        return self._funding.at(at)

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable:
        return self._marks.at(at)

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        return self._oi.at(at)

    def _ticker_from_close(self, at: datetime) -> Ticker | None:
        frame = self.frames.get(self._ticker_timeframe or "")
        stop = frame.closed_count(at) if frame is not None else 0
        if frame is None or not stop:
            return None
        last = Decimal(repr(float(frame.close[stop - 1])))
        return Ticker(inst_id=self.inst_id, last=last, bid=None, ask=None, ts=frame.close_time(stop - 1))
