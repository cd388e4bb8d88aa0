"""Market data: instruments, candles, tickers, books, funding, open interest."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from trading_bot.domain.ohlc import bar_problem

# The instruments the bot trades (USDT-margined perpetual swaps); settings and snapshots are held to it.
INSTRUMENT_PATTERN = re.compile(r"^[A-Z0-9]{2,15}-USDT-SWAP$")

Timeframe = Literal["1m", "3m", "5m", "15m", "30m", "1H", "2H", "4H", "6H", "12H", "1D"]

TIMEFRAME_SECONDS: dict[str, int] = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1H": 3600,
    "2H": 7200,
    "4H": 14400,
    "6H": 21600,
    "12H": 43200,
    "1D": 86400,
}

SNAPSHOT_TIMEFRAMES: tuple[Timeframe, ...] = ("15m", "1H", "4H")
OI_CHANGE_SPAN = timedelta(hours=1)  # a snapshot reports the open-interest change over this span


def timeframe_delta(timeframe: str) -> timedelta:
    try:
        return timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
    except KeyError:
        raise ValueError(f"unknown timeframe {timeframe!r}; expected one of {', '.join(TIMEFRAME_SECONDS)}") from None


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Instrument(Frozen):
    inst_id: str
    ct_val: Decimal
    ct_val_ccy: str
    settle_ccy: str
    lot_sz: Decimal
    min_sz: Decimal
    tick_sz: Decimal
    max_leverage: int
    max_mkt_sz: Decimal | None = None
    max_lmt_sz: Decimal | None = None
    state: str = "live"

    def round_size(self, contracts: Decimal) -> Decimal:
        """Round a contract count down to a multiple of lotSz (never up: never more than asked)."""
        if contracts <= 0:
            return Decimal(0)
        return (contracts / self.lot_sz).to_integral_value(rounding=ROUND_DOWN) * self.lot_sz

    def round_price(self, price: Decimal) -> Decimal:
        return (price / self.tick_sz).to_integral_value(rounding=ROUND_HALF_UP) * self.tick_sz

    def contracts_for_notional(self, notional_usdt: Decimal, price: Decimal) -> Decimal:
        """Contracts whose notional (contracts × ctVal × price) is at most `notional_usdt`."""
        if price <= 0:
            raise ValueError("price must be positive")
        contracts = self.round_size(notional_usdt / (self.ct_val * price))
        # The division is rounded to the context's precision and may land on a lot boundary from
        # below: step back one lot so the promise "at most notional_usdt" holds exactly.
        while contracts > 0 and self.notional(contracts, price) > notional_usdt:
            contracts -= self.lot_sz
        return contracts

    def notional(self, contracts: Decimal, price: Decimal) -> Decimal:
        return contracts * self.ct_val * price


class Candle(Frozen):
    inst_id: str
    timeframe: str
    ts: datetime  # bar open time, UTC
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # contracts
    volume_ccy: Decimal  # base currency (BTC)
    volume_quote: Decimal  # USDT
    confirmed: bool

    @model_validator(mode="after")
    def _obeys_the_bar_rule(self) -> Candle:
        problem = bar_problem(self.open, self.high, self.low, self.close, volume=self.volume,
                              volume_ccy=self.volume_ccy, volume_quote=self.volume_quote)
        if problem:
            raise ValueError(problem)
        return self

    @property
    def close_time(self) -> datetime:
        return self.ts + timeframe_delta(self.timeframe)


def invalid_candle(exc: ValidationError) -> str:
    """A refused candle's reason in one line (the first error: the field, or the bar rule broken)."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    field = ".".join(str(part) for part in error["loc"])
    return f"{field}: {message}" if field else message


class Ticker(Frozen):
    inst_id: str
    last: Decimal
    last_sz: Decimal | None = None
    bid: Decimal | None
    bid_sz: Decimal | None = None
    ask: Decimal | None
    ask_sz: Decimal | None = None
    open_24h: Decimal | None = None
    high_24h: Decimal | None = None
    low_24h: Decimal | None = None
    vol_24h: Decimal | None = None  # contracts
    vol_ccy_24h: Decimal | None = None  # base currency
    ts: datetime


class BookLevel(Frozen):
    price: Decimal
    size: Decimal  # contracts
    orders: int = 0


class OrderBook(Frozen):
    inst_id: str
    bids: list[BookLevel]  # best (highest) first
    asks: list[BookLevel]  # best (lowest) first
    ts: datetime

    @property
    def best_bid(self) -> Decimal | None:
        return self.bids[0].price if self.bids else None

    @property
    def best_ask(self) -> Decimal | None:
        return self.asks[0].price if self.asks else None


class FundingRate(Frozen):
    inst_id: str
    rate: Decimal
    next_rate: Decimal | None  # OKX often sends "" here
    funding_time: datetime  # the settlement this rate applies to
    next_funding_time: datetime | None
    ts: datetime


class MarkPrice(Frozen):
    inst_id: str
    mark_px: Decimal
    ts: datetime


class OpenInterest(Frozen):
    inst_id: str
    oi: Decimal  # contracts
    oi_ccy: Decimal  # base currency
    oi_usd: Decimal | None
    ts: datetime
