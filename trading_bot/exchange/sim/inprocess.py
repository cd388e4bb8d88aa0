"""The `Exchange` protocol directly over a simulator venue, without HTTP: for backtests.

Market time moves only when the caller says so (`advance_to`), and `clock` is a `Clock` that reads
the venue's time, so the pipeline's stages see exactly the market the engine trades on. Rejections
become the typed errors of `exchange/errors.py` through the same `classify` the OKX adapter uses.
WebSocket-style events are not recorded (nothing would read them), which keeps replays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import lru_cache, partial
from typing import TYPE_CHECKING, TypeVar

from trading_bot.clock import from_ms, to_ms
from trading_bot.domain.events import PositionClosed
from trading_bot.domain.market import BookLevel, Candle, FundingRate, Instrument, OpenInterest, OrderBook, Ticker
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
from trading_bot.exchange.errors import classify
from trading_bot.exchange.sim import book, funding, rest_market
from trading_bot.exchange.sim.orders import MARKET_PX, AlgoParams, AttachSpec, OrderParams, Reject, SimAlgo, SimOrder
from trading_bot.exchange.sim.positions_view import to_position
from trading_bot.exchange.sim.series import BAR_SPECS
from trading_bot.exchange.sim.venue import Venue

if TYPE_CHECKING:
    from trading_bot.exchange.sim.market import CandleRow

T = TypeVar("T")


class VenueClock:
    """A `Clock` reading the venue's market time."""

    def __init__(self, venue: Venue) -> None:
        self._venue = venue

    def now(self) -> datetime:
        return from_ms(self._venue.now_ms)


class InProcessExchange:
    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.engine = venue.engine
        self.engine.events.record = False
        self.engine.positions.closed_log = []
        self.clock = VenueClock(venue)
        # closed bars never change: their domain objects are built once (bounded: cleared when full)
        self._closed_candles: dict[tuple[str, str, int], Candle] = {}

    # --- time --------------------------------------------------------------------------------
    def advance_to(self, when: datetime) -> None:
        self.venue.advance_to(to_ms(when))

    def server_time(self) -> datetime:
        return from_ms(self.venue.now_ms)

    # --- market data ---------------------------------------------------------------------------
    def instrument(self, inst_id: str) -> Instrument:
        return self._call("public/instruments", lambda: self.engine.quotes.instrument(inst_id).to_domain())

    def ticker(self, inst_id: str) -> Ticker:
        self._call("market/ticker", lambda: self.engine.quotes.instrument(inst_id))
        data = self.venue.data(inst_id)
        last = self.engine.quotes.mark(inst_id)
        stats = data.day_stats(self.venue.now_ms, self.venue.price(inst_id))
        bid, ask = (book.side_levels(data.inst, last, s, 1, self.venue.now_ms, self.engine.config.book)[0]
                    for s in ("bids", "asks"))
        ct = data.inst.ct_val
        vol_ccy = _dec(stats.vol_ccy24h)
        return Ticker(inst_id=inst_id, last=last, bid=bid.px, bid_sz=bid.sz, ask=ask.px, ask_sz=ask.sz,
                      open_24h=_dec(stats.open24h), high_24h=_dec(stats.high24h), low_24h=_dec(stats.low24h),
                      vol_24h=(vol_ccy / ct).quantize(Decimal("0.01")), vol_ccy_24h=vol_ccy, ts=self.server_time())

    def candles(self, inst_id: str, timeframe: str, limit: int = 100, before: datetime | None = None) -> list[Candle]:
        self._call("market/candles", lambda: self.engine.quotes.instrument(inst_id))
        if timeframe not in BAR_SPECS:
            raise classify("51000", "Parameter bar error", endpoint="market/candles")
        data = self.venue.data(inst_id)
        rows = data.candles(timeframe, self.venue.now_ms, self.venue.price(inst_id),
                            to_ms(before) if before else None, None, limit)
        built = self._closed_candles
        if len(built) > CLOSED_CANDLES_KEPT:
            built.clear()
        candles = []
        for r in reversed(rows):
            key = (inst_id, timeframe, r.ts)
            candle = built.get(key) if r.confirmed else None
            if candle is None:
                candle = _candle(inst_id, timeframe, r, data.inst.ct_val)
                if r.confirmed:
                    built[key] = candle
            candles.append(candle)
        return candles

    def forming_candle(self, inst_id: str, timeframe: str) -> Candle | None:
        """The bar forming now (what `candles` serves first), without the closed bars after it."""
        data = self.venue.data(inst_id)
        row = data.forming(timeframe, self.venue.now_ms, self.venue.price(inst_id))
        return None if row is None else _candle(inst_id, timeframe, row, data.inst.ct_val)

    def order_book(self, inst_id: str, depth: int = 5) -> OrderBook:
        inst = self._call("market/books", lambda: self.engine.quotes.instrument(inst_id))
        last = self.engine.quotes.mark(inst_id)
        sides = {s: [BookLevel(price=lv.px, size=lv.sz, orders=lv.orders)
                     for lv in book.side_levels(inst, last, s, depth, self.venue.now_ms, self.engine.config.book)]
                 for s in ("bids", "asks")}
        return OrderBook(inst_id=inst_id, bids=sides["bids"], asks=sides["asks"], ts=self.server_time())

    def funding_rate(self, inst_id: str) -> FundingRate:
        self._call("public/funding-rate", lambda: self.engine.quotes.instrument(inst_id))
        upcoming = funding.next_settlement(self.venue.now_ms)
        rate = self.venue.data(inst_id).funding.rate_for(upcoming)
        return FundingRate(inst_id=inst_id, rate=_dec(rate, 16), next_rate=None, funding_time=from_ms(upcoming),
                           next_funding_time=from_ms(upcoming + funding.INTERVAL_MS), ts=self.server_time())

    def open_interest(self, inst_id: str) -> OpenInterest:
        self._call("public/open-interest", lambda: self.engine.quotes.instrument(inst_id))
        row = rest_market.open_interest_row(self.venue, inst_id)
        return OpenInterest(inst_id=inst_id, oi=Decimal(row["oi"]), oi_ccy=Decimal(row["oiCcy"]),
                            oi_usd=Decimal(row["oiUsd"]), ts=self.server_time())

    # --- account -------------------------------------------------------------------------------
    def account(self) -> Account:
        fig = self.engine.account.figures()
        return Account(equity=fig.equity, available=fig.avail_eq, frozen=fig.frozen, upl=fig.upl,
                       ts=self.server_time())

    def positions(self, inst_id: str | None = None) -> list[Position]:
        return [to_position(self.engine, p) for p in self.engine.positions.by_key.values()
                if p.qty and (inst_id is None or p.inst_id == inst_id)]

    def position_mode(self) -> str:
        return self.engine.settings.pos_mode

    def closed_positions(self) -> list[PositionClosed]:
        """Positions that went to zero since the last call, with their accumulated totals."""
        positions = self.engine.positions
        log, positions.closed_log = positions.closed_log or [], []
        return [PositionClosed(
            inst_id=c.inst_id, side=c.side, size=c.size, entry_px=c.entry_px, exit_px=c.exit_px,  # type: ignore[arg-type]
            realized_pnl=c.pnl, fees=c.fee, funding=c.funding, opened_at=from_ms(c.opened_ms),
            closed_at=from_ms(c.closed_ms), pos_id=c.pos_id, close_reason=c.reason,  # type: ignore[arg-type]
        ) for c in log]

    def set_leverage(self, inst_id: str, leverage: Decimal, mgn_mode: MarginMode) -> None:
        self._call("account/set-leverage", lambda: self.engine.set_leverage(inst_id, leverage, mgn_mode))

    # --- orders --------------------------------------------------------------------------------
    def place_order(self, request: OrderRequest) -> OrderAck:
        attach = []
        if request.sl_trigger_px is not None or request.tp_trigger_px is not None:
            attach = [AttachSpec(tp_trigger_px=request.tp_trigger_px, sl_trigger_px=request.sl_trigger_px)]
        params = OrderParams(request.inst_id, request.td_mode, request.side, request.ord_type, request.size,
                             request.price, request.pos_side or "", request.reduce_only, request.cl_ord_id,
                             request.tag or "", attach)
        order = self._call("trade/order", lambda: self.engine.place_order(params))
        return OrderAck(ord_id=order.ord_id, cl_ord_id=order.cl_ord_id or None, ts=self.server_time())

    def get_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> Order | None:
        order = self.engine.orders.find(ord_id or "", cl_ord_id or "")
        return _order(order) if order is not None and order.inst_id == inst_id else None

    def cancel_order(self, inst_id: str, ord_id: str | None = None, cl_ord_id: str | None = None) -> None:
        self._call("trade/cancel-order", lambda: self.engine.cancel_order(inst_id, ord_id or "", cl_ord_id or ""))

    def pending_orders(self, inst_id: str | None = None) -> list[Order]:
        return [_order(o) for o in self.engine.orders.live.values() if inst_id is None or o.inst_id == inst_id]

    def place_algo_order(self, request: AlgoRequest) -> str:
        both = request.sl_trigger_px is not None and request.tp_trigger_px is not None
        params = AlgoParams(request.inst_id, request.td_mode, request.side, "oco" if both else "conditional",
                            request.size, "" if request.size is not None else "1", request.pos_side or "",
                            request.reduce_only, request.algo_cl_ord_id or "", "",
                            tp_trigger_px=request.tp_trigger_px,
                            tp_ord_px=MARKET_PX if request.tp_trigger_px is not None else None,
                            sl_trigger_px=request.sl_trigger_px,
                            sl_ord_px=MARKET_PX if request.sl_trigger_px is not None else None)
        return self._call("trade/order-algo", lambda: self.engine.place_algo(params)).algo_id

    def pending_algo_orders(self, inst_id: str | None = None) -> list[AlgoOrder]:
        return [_algo(a) for a in self.engine.algos.live(inst_id)]

    def cancel_algo_orders(self, inst_id: str, algo_ids: list[str]) -> None:
        for algo_id in algo_ids:
            self._call("trade/cancel-algos", partial(self.engine.cancel_algo, inst_id, algo_id))

    def close_position(self, inst_id: str, pos_side: ExchangePosSide, mgn_mode: MarginMode,
                       cl_ord_id: str | None = None) -> None:
        self._call("trade/close-position",
                   lambda: self.engine.close_position(inst_id, mgn_mode, pos_side, True, cl_ord_id or "", ""))

    def fills(self, inst_id: str | None = None, limit: int = 100) -> list[Fill]:
        rows = [f for f in reversed(self.engine.orders.fills) if inst_id is None or f.inst_id == inst_id][:limit]
        return [Fill(trade_id=f.trade_id, ord_id=f.ord_id, cl_ord_id=f.cl_ord_id or None, inst_id=f.inst_id,
                     side=f.side, pos_side=f.pos_side, price=f.px, size=f.sz, fee=f.fee, pnl=f.pnl,  # type: ignore[arg-type]
                     exec_type=f.exec_type, ts=from_ms(f.ts)) for f in rows]  # type: ignore[arg-type]

    def _call(self, endpoint: str, action: Callable[[], T]) -> T:
        try:
            return action()
        except Reject as exc:
            raise classify(exc.code, exc.msg, endpoint=endpoint, http_status=exc.http) from None


CLOSED_CANDLES_KEPT = 4_096  # a risk check's 101 hourly bars and more, per instrument and timeframe


def _candle(inst_id: str, timeframe: str, r: CandleRow, ct: Decimal) -> Candle:
    return Candle(inst_id=inst_id, timeframe=timeframe, ts=from_ms(r.ts), open=_dec(r.o), high=_dec(r.h), low=_dec(r.l),
                  close=_dec(r.c), volume=(_dec(r.vol_ccy) / ct).quantize(Decimal("0.01")), volume_ccy=_dec(r.vol_ccy),
                  volume_quote=_dec(r.vol_ccy * r.c), confirmed=r.confirmed)


@lru_cache(maxsize=8192)
def _dec(value: float, digits: int = 8) -> Decimal:
    # cached: a price recurs in every timeframe's forming bar, the ticker and cycle after cycle
    return Decimal(f"{value:.{digits}f}").normalize()


def _order(o: SimOrder) -> Order:
    first = o.attach[0] if o.attach else None
    return Order(ord_id=o.ord_id, cl_ord_id=o.cl_ord_id or None, inst_id=o.inst_id, side=o.side,  # type: ignore[arg-type]
                 pos_side=o.pos_side, ord_type=o.ord_type, state=o.state, size=o.sz, price=o.px,  # type: ignore[arg-type]
                 avg_px=o.avg_px, filled=o.acc_fill_sz, fee=o.fee, pnl=o.pnl, reduce_only=o.reduce_only,
                 sl_trigger_px=first.sl_trigger_px if first else None,
                 tp_trigger_px=first.tp_trigger_px if first else None,
                 created_at=from_ms(o.c_time), updated_at=from_ms(o.u_time))


def _algo(a: SimAlgo) -> AlgoOrder:
    return AlgoOrder(algo_id=a.algo_id, algo_cl_ord_id=a.algo_cl_ord_id or None, inst_id=a.inst_id,
                     ord_type=a.ord_type, side=a.side, pos_side=a.pos_side, size=a.sz,  # type: ignore[arg-type]
                     close_fraction=Decimal(a.close_fraction) if a.close_fraction else None,
                     sl_trigger_px=a.sl_trigger_px, tp_trigger_px=a.tp_trigger_px, state=a.state,  # type: ignore[arg-type]
                     created_at=from_ms(a.c_time))
