"""`OkxRest`: the `Exchange` protocol over OKX v5 REST (real demo trading or `trading-bot sim`).

Each method is one rate-limited, retried python-okx call (see `transport.py`) whose `data` goes
through `parse.py`. Placing an order or an algo order is never retried on an ambiguous failure:
it raises `OutcomeUnknown` and `exchange/orders.py` looks the clOrdId up before anything else.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_bot.clock import to_ms
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
from trading_bot.exchange.errors import NotFound
from trading_bot.exchange.instruments import InstrumentCache, fmt
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.envelope import first
from trading_bot.exchange.okx.transport import OkxTransport
from trading_bot.logs import get_logger

SWAP = "SWAP"
MARKET_PX = "-1"  # an algo's order price of -1 = execute at market when triggered
RECENT_PAGE, HISTORY_PAGE = 300, 100  # OKX's per-request maxima for candles / history-candles
ALGO_TYPES = ("conditional", "oco")  # orders-algo-pending takes one ordType per request
log = get_logger(__name__)


class OkxRest:
    def __init__(self, transport: OkxTransport) -> None:
        self.transport = transport
        self.instruments = InstrumentCache(self._fetch_instrument)
        self._pos_mode: str | None = None
        self.refused_candles = 0  # bars the exchange sent that broke the candle rule

    def close(self) -> None:
        self.transport.close()

    def _call(self, path: str, fn: Any, *args: Any, inst_id: str | None = None, **kwargs: Any) -> list[Any]:
        return self.transport.call(path, fn, *args, inst_id=inst_id, **kwargs)

    # --- market data ----------------------------------------------------------------------
    def server_time(self) -> datetime:
        path = "/api/v5/public/time"
        return parse.server_time(first(self._call(path, self.transport.public.get_system_time), path))

    def instrument(self, inst_id: str) -> Instrument:
        return self.instruments.get(inst_id)

    def _fetch_instrument(self, inst_id: str) -> Instrument:
        path = "/api/v5/public/instruments"
        data = self._call(path, self.transport.public.get_instruments, instType=SWAP, instId=inst_id)
        matches = [item for item in data if isinstance(item, dict) and item.get("instId") == inst_id]
        if not matches:
            raise NotFound("51001", f"instrument {inst_id} does not exist", endpoint=path)
        return parse.instrument(matches[0])

    def ticker(self, inst_id: str) -> Ticker:
        path = "/api/v5/market/ticker"
        return parse.ticker(first(self._call(path, self.transport.market.get_ticker, instId=inst_id), path))

    def candles(self, inst_id: str, timeframe: str, limit: int = 100, before: datetime | None = None) -> list[Candle]:
        """Up to `limit` bars opening before `before` (default: up to now), oldest first.

        Pages backwards through /market/candles and continues with /market/history-candles once
        the recent endpoint runs dry. A bar that cannot be a candle (BadCandle) is left out with a
        `candle_refused` warning and counted in `refused_candles`."""
        found: dict[datetime, Candle] = {}
        cursor = str(to_ms(before)) if before is not None else ""
        recent = True
        while len(found) < limit:
            page = min(RECENT_PAGE if recent else HISTORY_PAGE, limit - len(found))
            rows = self._candle_page(inst_id, timeframe, cursor, page, recent)
            opened = []
            for row in rows:
                try:
                    bar = parse.candle(row, inst_id, timeframe)
                except parse.BadCandle as bad:
                    self.refused_candles += 1
                    log.warning("candle_refused", source="rest", **bad.fields())
                    opened.append(bad.ts)
                    continue
                found[bar.ts] = bar
                opened.append(bar.ts)
            if opened:
                cursor = str(to_ms(min(opened)))
            if len(rows) < page:
                if not recent:
                    break
                recent = False
        return sorted(found.values(), key=lambda bar: bar.ts)[-limit:]

    def _candle_page(self, inst_id: str, timeframe: str, cursor: str, page: int, recent: bool) -> list[Any]:
        market = self.transport.market
        if recent:
            return self._call("/api/v5/market/candles", market.get_candlesticks,
                              instId=inst_id, after=cursor, bar=timeframe, limit=str(page))
        return self._call("/api/v5/market/history-candles", market.get_history_candlesticks,
                          instId=inst_id, after=cursor, bar=timeframe, limit=str(page))

    def order_book(self, inst_id: str, depth: int = 5) -> OrderBook:
        path = "/api/v5/market/books"
        data = self._call(path, self.transport.market.get_orderbook, instId=inst_id, sz=str(depth))
        return parse.order_book(first(data, path), inst_id)

    def funding_rate(self, inst_id: str) -> FundingRate:
        path = "/api/v5/public/funding-rate"
        data = self._call(path, self.transport.public.get_funding_rate, instId=inst_id, inst_id=inst_id)
        return parse.funding_rate(first(data, path))

    def open_interest(self, inst_id: str) -> OpenInterest:
        path = "/api/v5/public/open-interest"
        data = self._call(path, self.transport.public.get_open_interest, instType=SWAP, instId=inst_id,
                          inst_id=inst_id)
        return parse.open_interest(first(data, path))

    # --- account --------------------------------------------------------------------------
    def account(self) -> Account:
        path = "/api/v5/account/balance"
        return parse.account(first(self._call(path, self.transport.account.get_account_balance, ccy="USDT"), path))

    def positions(self, inst_id: str | None = None) -> list[Position]:
        data = self._call("/api/v5/account/positions", self.transport.account.get_positions,
                          instType=SWAP, instId=inst_id or "")
        return [pos for pos in (parse.position(item) for item in data) if pos is not None]

    def position_mode(self) -> str:
        """`net_mode` or `long_short_mode` (read once; changing it needs a flat account anyway)."""
        if self._pos_mode is None:
            path = "/api/v5/account/config"
            config = first(self._call(path, self.transport.account.get_account_config), path)
            self._pos_mode = str(config.get("posMode") or "net_mode")
        return self._pos_mode

    def set_leverage(self, inst_id: str, leverage: Decimal, mgn_mode: MarginMode) -> None:
        # Isolated margin in long/short mode keeps one leverage per side: set both.
        sides = ("long", "short") if mgn_mode == "isolated" and self.position_mode() == "long_short_mode" else ("",)
        for side in sides:
            self._call("/api/v5/account/set-leverage", self.transport.account.set_leverage,
                       lever=fmt(leverage), mgnMode=mgn_mode, instId=inst_id, posSide=side)

    # --- orders ---------------------------------------------------------------------------
    def place_order(self, request: OrderRequest) -> OrderAck:
        path = "/api/v5/trade/order"
        data = self._call(
            path, self.transport.trade.place_order, inst_id=request.inst_id, idempotent=False,
            instId=request.inst_id, tdMode=request.td_mode, side=request.side, ordType=request.ord_type,
            sz=fmt(request.size), clOrdId=request.cl_ord_id, tag=request.tag or "",
            posSide=request.pos_side or "", px=fmt(request.price) if request.price is not None else "",
            reduceOnly="true" if request.reduce_only else "",
            attachAlgoOrds=_attached(request.sl_trigger_px, request.tp_trigger_px),
        )
        return parse.order_ack(first(data, path))

    def get_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> Order | None:
        record = self.order_record(inst_id, ord_id, cl_ord_id)
        return record[0] if record is not None else None

    def order_record(self, inst_id: str, ord_id: str | None = None,
                     cl_ord_id: str | None = None) -> tuple[Order, dict[str, Any]] | None:
        """The order with OKX's raw record (`algoId`, `source`, `category` tell why it was sent)."""
        path = "/api/v5/trade/order"
        try:
            data = self._call(path, self.transport.trade.get_order, inst_id=inst_id,
                              instId=inst_id, ordId=ord_id or "", clOrdId=cl_ord_id or "")
        except NotFound:
            return None
        return (parse.order(data[0]), data[0]) if data else None

    def cancel_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> None:
        self._call("/api/v5/trade/cancel-order", self.transport.trade.cancel_order, inst_id=inst_id,
                   instId=inst_id, ordId=ord_id or "", clOrdId=cl_ord_id or "")

    def pending_orders(self, inst_id: str | None = None) -> list[Order]:
        data = self._call("/api/v5/trade/orders-pending", self.transport.trade.get_order_list,
                          instType=SWAP, instId=inst_id or "")
        return [parse.order(item) for item in data]

    def place_algo_order(self, request: AlgoRequest) -> str:
        path = "/api/v5/trade/order-algo"
        both = request.sl_trigger_px is not None and request.tp_trigger_px is not None
        data = self._call(
            path, self.transport.trade.place_algo_order, inst_id=request.inst_id, idempotent=False,
            instId=request.inst_id, tdMode=request.td_mode, side=request.side,
            ordType="oco" if both else "conditional", posSide=request.pos_side or "",
            sz=fmt(request.size) if request.size is not None else "",
            closeFraction="" if request.size is not None else "1",
            reduceOnly="true" if request.reduce_only else "",
            **_trigger_fields(request.sl_trigger_px, request.tp_trigger_px),
            algoClOrdId=request.algo_cl_ord_id or "",
        )
        return parse.algo_id(first(data, path))

    def pending_algo_orders(self, inst_id: str | None = None) -> list[AlgoOrder]:
        found: list[AlgoOrder] = []
        for ord_type in ALGO_TYPES:
            data = self._call("/api/v5/trade/orders-algo-pending", self.transport.trade.order_algos_list,
                              ordType=ord_type, instType=SWAP, instId=inst_id or "")
            found.extend(parse.algo_order(item) for item in data)
        return found

    def cancel_algo_orders(self, inst_id: str, algo_ids: list[str]) -> None:
        if algo_ids:
            self._call("/api/v5/trade/cancel-algos", self.transport.trade.cancel_algo_order,
                       orders_data=[{"instId": inst_id, "algoId": algo_id} for algo_id in algo_ids])

    def close_position(
        self, inst_id: str, pos_side: ExchangePosSide, mgn_mode: MarginMode, cl_ord_id: str | None = None
    ) -> None:
        self._call("/api/v5/trade/close-position", self.transport.trade.close_positions, inst_id=inst_id,
                   instId=inst_id, mgnMode=mgn_mode, posSide="" if pos_side == "net" else pos_side,
                   autoCxl="true", clOrdId=cl_ord_id or "")

    def fills(self, inst_id: str | None = None, limit: int = 100) -> list[Fill]:
        data = self._call("/api/v5/trade/fills", self.transport.trade.get_fills,
                          instType=SWAP, instId=inst_id or "", limit=str(min(limit, 100)))
        return [parse.fill(item) for item in data]


def _trigger_fields(sl: Decimal | None, tp: Decimal | None) -> dict[str, str]:
    fields: dict[str, str] = {}
    if sl is not None:
        fields |= {"slTriggerPx": fmt(sl), "slOrdPx": MARKET_PX, "slTriggerPxType": "last"}
    if tp is not None:
        fields |= {"tpTriggerPx": fmt(tp), "tpOrdPx": MARKET_PX, "tpTriggerPxType": "last"}
    return fields


def _attached(sl: Decimal | None, tp: Decimal | None) -> list[dict[str, str]] | None:
    fields = _trigger_fields(sl, tp)
    return [fields] if fields else None
