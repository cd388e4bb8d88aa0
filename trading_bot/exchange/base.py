"""The Exchange protocol: everything the pipeline needs from a venue.

Implemented by the OKX REST adapter (`exchange/okx/`, real demo trading or `trading-bot sim` over
HTTP) and by the in-process simulator adapter (`exchange/sim/`, backtests). Sync on purpose: Celery
tasks and the backtest loop are synchronous. Errors are the typed exceptions of `errors.py`.

| method | returns | notes |
|---|---|---|
| `server_time()` | datetime | the venue clock (fast-forward simulator: market time) |
| `instrument(inst_id)` | Instrument | ctVal, lotSz, minSz, tickSz, max leverage (cached) |
| `ticker(inst_id)` | Ticker | |
| `candles(inst_id, timeframe, limit, before)` | list[Candle] | oldest first; `before` = only bars opening before it |
| `order_book(inst_id, depth)` | OrderBook | |
| `funding_rate(inst_id)` | FundingRate | |
| `open_interest(inst_id)` | OpenInterest | |
| `account()` | Account | USDT equity, available, frozen, upl |
| `positions(inst_id)` | list[Position] | open positions only |
| `position_mode()` | str | `net_mode` or `long_short_mode` (decides posSide on orders) |
| `set_leverage(inst_id, leverage, mgn_mode)` | None | |
| `place_order(request)` | OrderAck | OutcomeUnknown if the result is unknown: look the clOrdId up |
| `get_order(inst_id, ord_id, cl_ord_id)` | Order or None | None when the exchange does not know it |
| `cancel_order(inst_id, ord_id, cl_ord_id)` | None | NotFound if already terminal/unknown |
| `pending_orders(inst_id)` | list[Order] | live and partially filled |
| `place_algo_order(request)` | str (algoId) | stand-alone SL/TP |
| `pending_algo_orders(inst_id)` | list[AlgoOrder] | |
| `cancel_algo_orders(inst_id, algo_ids)` | None | |
| `close_position(inst_id, pos_side, mgn_mode, cl_ord_id)` | None | market close of the whole position |
| `fills(inst_id, limit)` | list[Fill] | most recent first |
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol, runtime_checkable

from trading_bot.domain.market import Candle, FundingRate, Instrument, OpenInterest, OrderBook, Ticker
from trading_bot.domain.orders import (
    Account,
    AlgoOrder,
    AlgoRequest,
    ExchangePosSide,
    Fill,
    MarginMode,
    Order,
    OrderAck,
    OrderRequest,
    Position,
)


@runtime_checkable
class Exchange(Protocol):
    def server_time(self) -> datetime: ...

    def instrument(self, inst_id: str) -> Instrument: ...

    def ticker(self, inst_id: str) -> Ticker: ...

    def candles(
        self, inst_id: str, timeframe: str, limit: int = 100, before: datetime | None = None
    ) -> list[Candle]: ...

    def order_book(self, inst_id: str, depth: int = 5) -> OrderBook: ...

    def funding_rate(self, inst_id: str) -> FundingRate: ...

    def open_interest(self, inst_id: str) -> OpenInterest: ...

    def account(self) -> Account: ...

    def positions(self, inst_id: str | None = None) -> list[Position]: ...

    def position_mode(self) -> str: ...

    def set_leverage(self, inst_id: str, leverage: Decimal, mgn_mode: MarginMode) -> None: ...

    def place_order(self, request: OrderRequest) -> OrderAck: ...

    def get_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> Order | None: ...

    def cancel_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> None: ...

    def pending_orders(self, inst_id: str | None = None) -> list[Order]: ...

    def place_algo_order(self, request: AlgoRequest) -> str: ...

    def pending_algo_orders(self, inst_id: str | None = None) -> list[AlgoOrder]: ...

    def cancel_algo_orders(self, inst_id: str, algo_ids: list[str]) -> None: ...

    def close_position(
        self, inst_id: str, pos_side: ExchangePosSide, mgn_mode: MarginMode, cl_ord_id: str | None = None
    ) -> None: ...

    def fills(self, inst_id: str | None = None, limit: int = 100) -> list[Fill]: ...
