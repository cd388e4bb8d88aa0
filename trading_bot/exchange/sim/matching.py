"""Order matching: placing, amending and cancelling orders, taker orders walking the synthetic book,
resting limit orders filling when the price reaches them, and what each fill books (fee, PnL, the
position it moves, the TP/SL it activates). Commands leave firing triggers to the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from trading_bot.exchange.sim import book, validation
from trading_bot.exchange.sim.account import Account
from trading_bot.exchange.sim.algos import Algos
from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.order_store import OrderStore
from trading_bot.exchange.sim.orders import (
    ZERO,
    Ids,
    OrderParams,
    Reject,
    SimFill,
    SimOrder,
    money,
    param_error,
)
from trading_bot.exchange.sim.positions import Positions
from trading_bot.exchange.sim.quotes import Quotes
from trading_bot.exchange.sim.settings import AccountSettings

if TYPE_CHECKING:
    from trading_bot.exchange.sim.engine import EngineConfig

TAKER_TYPES = ("market", "optimal_limit_ioc")


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Matching:
    config: EngineConfig
    quotes: Quotes
    settings: AccountSettings
    ids: Ids
    events: EventLog
    orders: OrderStore
    positions: Positions
    account: Account
    algos: Algos

    # --- requests ----------------------------------------------------------------------------
    def place_order(self, p: OrderParams, algo_id: str = "", algo_cl_ord_id: str = "") -> SimOrder:
        inst = validation.check_common(self.quotes, self.settings, p)
        last = self.quotes.mark(p.inst_id)
        validation.check_size(inst, p.sz, p.ord_type in TAKER_TYPES)
        validation.check_price(inst, p, last)
        validation.check_client_id(self.orders, p)
        for spec in p.attach:
            validation.check_attach_spec(spec)
        validation.check_attached(p, last)
        pos_side = self.settings.pos_side(p.pos_side)
        self._check_reducing(p, pos_side)
        lever = self.settings.lever_for(p.inst_id, p.td_mode, pos_side)
        self._check_margin(p, inst, pos_side, lever, last)
        now = self.quotes.now_ms
        order = SimOrder(
            ord_id=self.ids.next("order"), cl_ord_id=p.cl_ord_id, tag=p.tag, inst_id=p.inst_id, td_mode=p.td_mode,
            side=p.side, pos_side=pos_side, ord_type=p.ord_type, sz=p.sz, px=p.px, reduce_only=p.reduce_only,
            lever=lever, c_time=now, u_time=now, attach=self.ids.attach(p.attach),
            algo_id=algo_id, algo_cl_ord_id=algo_cl_ord_id,
        )
        self.orders.remember(order)
        self._execute(order, inst)
        return order

    def cancel_order(self, inst_id: str, ord_id: str = "", cl_ord_id: str = "") -> SimOrder:
        self.quotes.instrument(inst_id)
        if not ord_id and not cl_ord_id:
            raise Reject("51003", "Either client order ID or order ID is required.")
        order = self.orders.find(ord_id, cl_ord_id)
        if order is None or not order.is_live or order.inst_id != inst_id:
            raise Reject("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")
        self.cancel(order, "1")
        return order

    def amend_order(self, inst_id: str, ord_id: str, cl_ord_id: str, new_sz: Decimal | None,
                    new_px: Decimal | None) -> SimOrder:
        inst = self.quotes.instrument(inst_id)
        if not ord_id and not cl_ord_id:
            raise Reject("51003", "Either client order ID or order ID is required.")
        if new_sz is None and new_px is None:
            raise Reject("50014", "Parameter newSz can not be empty.", 400)
        order = self.orders.find(ord_id, cl_ord_id)
        if order is None or order.inst_id != inst_id:
            raise Reject("51603", "Order does not exist.")
        if not order.is_live:
            raise Reject("51503", "Your order has already been filled or canceled.")
        if new_sz is not None:
            validation.check_size(inst, new_sz, False)
            if new_sz <= order.acc_fill_sz:
                raise param_error("newSz")
            order.sz = new_sz
        if new_px is not None:
            validation.check_price(inst, OrderParams(inst_id, order.td_mode, order.side, order.ord_type, order.sz,
                                                     new_px), self.quotes.mark(inst_id))
            order.px = new_px
        order.u_time = self.quotes.now_ms
        self.orders.live.pop(order.ord_id, None)
        self._execute(order, inst)
        return order

    def close_position(self, inst_id: str, mgn_mode: str, pos_side: str, auto_cxl: bool, cl_ord_id: str = "",
                       tag: str = "") -> str:
        """Close the whole position at market (OKX close-position); returns its posSide."""
        self.quotes.instrument(inst_id)
        if mgn_mode not in ("cross", "isolated"):
            raise param_error("mgnMode")
        if self.settings.pos_mode == "long_short_mode" and pos_side not in ("long", "short"):
            raise param_error("posSide")
        pos = self.positions.held(inst_id, mgn_mode, pos_side)
        if pos is None:
            raise Reject("51023", "Position doesn't exist.")
        closing = self.orders.closing(pos)
        if closing and not auto_cxl:
            raise Reject("51115", "Cancel all pending close-orders before liquidation.")
        for order in closing:
            self.cancel(order, "1")
        net = self.settings.net
        self.place_order(OrderParams(inst_id, mgn_mode, "sell" if pos.qty > 0 else "buy", "market", abs(pos.qty),
                                     None, "" if net else pos.pos_side, net, cl_ord_id, tag))
        return pos.pos_side

    # --- checks --------------------------------------------------------------------------------
    def _check_reducing(self, p: OrderParams, pos_side: str) -> None:
        closing = self.positions.closing_qty(p.side, p.inst_id, p.td_mode, pos_side)
        must_close = p.reduce_only or (pos_side != "net" and closing is not None)
        if not must_close:
            return
        pos = self.positions.held(p.inst_id, p.td_mode, pos_side)
        if pos is None:
            raise Reject("51169", "Order failed because you don't have any positions in this direction for this "
                                  "contract to reduce or close.")
        if not closing:
            raise Reject("51170", "Failed to place order. A reduce-only order can’t be the same trading direction "
                                  "as your existing positions.")
        if p.sz > closing - self.orders.pending_closing(pos, p.side):
            raise Reject("51112", "Close order size exceeds available size for this position.")

    def _check_margin(self, p: OrderParams, inst: SimInstrument, pos_side: str, lever: Decimal, last: Decimal) -> None:
        if p.reduce_only:
            return
        qty = self.positions.opening_qty(p.side, p.sz, p.inst_id, p.td_mode, pos_side)
        if not qty:
            return
        px = p.px if p.px is not None else self._walk_vwap(inst, p.side, p.sz, last)
        need = qty * inst.ct_val * px * (1 / lever + self.config.taker_fee)
        if need > self.account.figures().avail_eq:
            raise validation.INSUFFICIENT_MARGIN

    def _walk_vwap(self, inst: SimInstrument, side: str, qty: Decimal, last: Decimal) -> Decimal:
        fills = book.walk(inst, last, side, qty, self.quotes.now_ms, self.config.book)
        return sum((px * sz for px, sz in fills), ZERO) / qty

    # --- execution -----------------------------------------------------------------------------
    def _execute(self, order: SimOrder, inst: SimInstrument) -> None:
        last = self.quotes.mark(order.inst_id)
        if order.ord_type in TAKER_TYPES:
            self._take(order, inst, last, None)
            self._finish_taker(order)
            return
        assert order.px is not None
        cfg = self.config.book
        spread = cfg.spread_ticks * inst.tick_sz
        bid = last - (cfg.spread_ticks // 2) * inst.tick_sz
        crosses = order.px >= bid + spread if order.side == "buy" else order.px <= bid
        if crosses and order.ord_type == "post_only":
            self.cancel(order, "31")
            return
        if crosses:
            if order.ord_type == "fok" and not self._fok_fillable(order, inst, last):
                self.cancel(order, "30")
                return
            self._take(order, inst, last, order.px)
        if order.ord_type in ("ioc", "fok"):
            self._finish_taker(order)
        elif order.remaining > 0:
            self.orders.live[order.ord_id] = order
            self._refreeze(order)
            if not order.acc_fill_sz:
                self.events.order(order)

    def _fok_fillable(self, order: SimOrder, inst: SimInstrument, last: Decimal) -> bool:
        fills = book.walk(inst, last, order.side, order.remaining, self.quotes.now_ms, self.config.book, order.px)
        return sum((sz for _, sz in fills), ZERO) >= order.remaining

    def _take(self, order: SimOrder, inst: SimInstrument, last: Decimal, limit_px: Decimal | None) -> None:
        walk = book.walk(inst, last, order.side, order.remaining, self.quotes.now_ms, self.config.book, limit_px)
        for px, sz in walk:
            self.fill(order, inst, px, sz, maker=False)

    def _finish_taker(self, order: SimOrder) -> None:
        if order.remaining > 0 and order.is_live:
            self.cancel(order, "14" if order.acc_fill_sz else "30")

    def _refreeze(self, order: SimOrder) -> None:
        inst = self.quotes.instruments[order.inst_id]
        qty = ZERO if order.reduce_only else self.positions.opening_qty(
            order.side, order.remaining, order.inst_id, order.td_mode, order.pos_side)
        order.frozen = qty * inst.ct_val * (order.px or ZERO) / order.lever

    def fire_limits(self, inst_id: str, price: float) -> bool:
        """Fill the resting orders `price` reaches (as maker, at their own price)."""
        fired = False
        for order in [o for o in self.orders.live.values() if o.inst_id == inst_id]:
            if order.px is None or not order.is_live:
                continue
            if (order.side == "buy" and price <= order.px) or (order.side == "sell" and price >= order.px):
                qty = order.remaining
                if order.reduce_only:
                    qty = min(qty, self.positions.closing_qty(order.side, inst_id, order.td_mode, order.pos_side) or ZERO)
                if qty:
                    self.fill(order, self.quotes.instruments[inst_id], order.px, qty, maker=True)
                if order.is_live:  # a reduce-only order larger than what is left to reduce
                    self.cancel(order, "14")
                fired = True
        return fired

    def fill(self, order: SimOrder, inst: SimInstrument, px: Decimal, sz: Decimal, maker: bool) -> None:
        rate = self.config.maker_fee if maker else self.config.taker_fee
        fee = money(-(px * sz * inst.ct_val * rate))
        pos = self.positions.for_order(order)
        trade_id = self.ids.next("trade")
        pnl = money(self.positions.apply(pos, sz if order.side == "buy" else -sz, px, order.lever, inst))
        self.account.book("pnl", pnl)
        self.account.book("fee", fee)
        now = self.quotes.now_ms
        pos.fee += fee
        pos.pnl += pnl
        pos.trade_id, pos.u_time = trade_id, now
        order.acc_fill_sz += sz
        order.fill_notional += px * sz
        order.fee += fee
        order.pnl += pnl
        order.fill_px, order.fill_sz, order.fill_fee, order.fill_pnl = px, sz, fee, pnl
        order.fill_time, order.trade_id, order.exec_type = now, trade_id, "M" if maker else "T"
        order.u_time = now
        order.state = "filled" if order.remaining == 0 else "partially_filled"
        if order.state == "filled":
            self.orders.live.pop(order.ord_id, None)
            order.frozen = ZERO
        self.orders.add_fill(SimFill(trade_id, self.ids.next("bill"), order.ord_id, order.cl_ord_id, order.tag,
                                      order.inst_id, order.side, order.pos_side, px, sz, fee, -rate, pnl,
                                      order.exec_type, now))
        self.events.order(order)
        self.events.position(pos)
        self.positions.settle(pos, order)
        if order.state == "filled" and order.attach and not order.attach_active:
            self.algos.activate_attached(order, order.acc_fill_sz)

    def cancel(self, order: SimOrder, source: str) -> None:
        """End a live order (`source`: OKX's cancelSource); a partly filled parent's TP/SL go live."""
        order.state, order.cancel_source, order.u_time, order.frozen = "canceled", source, self.quotes.now_ms, ZERO
        self.orders.live.pop(order.ord_id, None)
        self.events.order(order)
        self.events.account()
        if order.attach and order.acc_fill_sz and not order.attach_active:
            self.algos.activate_attached(order, order.acc_fill_sz)
