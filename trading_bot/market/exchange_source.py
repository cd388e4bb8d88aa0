"""`ExchangeSource`: the market as an `Exchange` serves it right now (REST candles, ticker, book,
funding, open interest). For the in-process simulator, whose clock is the snapshot's `at`, and for
one-off snapshots without ws-public; the live pipeline reads PostgreSQL and Redis instead
(`LiveSource`), which ws-public keeps current without a request per cycle.

The exchange answers "now", so this source refuses a value stamped after `at` (no look-ahead) and
has no history: open interest one hour ago is Unavailable."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from trading_bot.domain.market import Candle, FundingRate, MarkPrice, OpenInterest, OrderBook, Ticker, timeframe_delta
from trading_bot.exchange.base import Exchange
from trading_bot.market.frame import CandleFrame
from trading_bot.market.unavailable import Unavailable

MAX_PAGE = 300  # OKX serves at most 300 bars per candles request
OI_SAMPLE_AGE = timedelta(minutes=15)  # the current open interest stands for `at` up to this long after it
NO_OI_SAMPLE = "no open-interest sample at that time (the exchange only serves the current one)"


class ExchangeSource:
    def __init__(self, inst_id: str, exchange: Exchange) -> None:
        self.inst_id = inst_id
        self.exchange = exchange

    def _bars(self, timeframe: str, limit: int) -> list[Candle]:
        return self.exchange.candles(self.inst_id, timeframe, min(limit + 1, MAX_PAGE))

    def closed_candles(self, timeframe: str, at: datetime, limit: int) -> CandleFrame:
        last_open = at - timeframe_delta(timeframe)
        closed = [c for c in self._bars(timeframe, limit) if c.confirmed and c.ts <= last_open][-limit:]
        return CandleFrame.from_candles(closed, timeframe) if closed else CandleFrame.empty(timeframe)

    def forming_candle(self, timeframe: str, at: datetime) -> Candle | None:
        bars = self._bars(timeframe, 1)
        forming = [c for c in bars if not c.confirmed and c.ts <= at < c.ts + timeframe_delta(timeframe)]
        return forming[-1] if forming else None

    def ticker(self, at: datetime) -> Ticker | Unavailable:
        return _not_after(self.exchange.ticker(self.inst_id), at, "ticker")

    def book(self, at: datetime) -> OrderBook | Unavailable:
        return _not_after(self.exchange.order_book(self.inst_id, 5), at, "order book")

    def funding(self, at: datetime) -> FundingRate | Unavailable:
        return _not_after(self.exchange.funding_rate(self.inst_id), at, "funding rate")

    def mark_price(self, at: datetime) -> MarkPrice | Unavailable:
        return Unavailable("the exchange port serves no mark price; the last price stands in for it")

    def open_interest(self, at: datetime) -> OpenInterest | Unavailable:
        found = self.exchange.open_interest(self.inst_id)
        if found.ts > at or at - found.ts > OI_SAMPLE_AGE:
            return Unavailable(NO_OI_SAMPLE)
        return found


class _Stamped(Protocol):
    @property
    def ts(self) -> datetime: ...


_S = TypeVar("_S", bound=_Stamped)


def _not_after(value: _S, at: datetime, what: str) -> _S | Unavailable:
    if value.ts > at:
        return Unavailable(f"the exchange's {what} is newer than the snapshot time")
    return value
