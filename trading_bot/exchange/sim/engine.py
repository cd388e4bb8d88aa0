"""The matching engine: one USDT futures-mode account trading perpetual swaps. Pure: no I/O, no clock
of its own (the venue sets `now_ms`), Decimal money.

Prices arrive through `on_price`. To stay fast during replays the engine keeps, per instrument, the
nearest price below (`lo`) and above (`hi`) at which anything can happen (a resting limit order
fills, a TP/SL or trigger fires, a position is liquidated); a price strictly between them changes
nothing but the last price, so callers may skip the call or scan tick arrays against the bounds.

Every change is appended to `events` (order snapshots, positions, account) for WebSocket pushes;
the in-process adapter turns that off.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from trading_bot.exchange.sim import accounting, book, validation
from trading_bot.exchange.sim.accounting import INF, AccountFigures, account_figures
from trading_bot.exchange.sim.algos import AlgoMixin
from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import (
    ClosedPosition,
    ZERO,
    money,
    price_q,
    AttachSpec,
    OrderParams,
    Reject,
    SimFill,
    SimOrder,
    SimPosition,
    param_error,
)
from trading_bot.exchange.sim.risk import RiskMixin

ID_BASES = {"order": 2_900_000_000_000_000_000, "algo": 3_100_000_000_000_000_000, "trade": 1_500_000_000,
            "bill": 3_500_000_000_000_000_000, "pos": 3_300_000_000_000_000_000}
HISTORY_LIMIT = 20_000  # terminal orders and fills remembered


@dataclass(frozen=True)
class EngineConfig:
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    default_lever: Decimal = Decimal(3)
    book: book.BookConfig = field(default_factory=book.BookConfig)


@dataclass
class Ids:
    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ID_BASES, 0))

    def next(self, kind: str) -> str:
        self.counters[kind] += 1
        return str(ID_BASES[kind] + self.counters[kind])


class Engine(AlgoMixin, RiskMixin):
    def __init__(self, instruments: dict[str, SimInstrument], cash: Decimal,
                 config: EngineConfig | None = None, now_ms: int = 0) -> None:
        self.instruments = instruments
        self.config = config or EngineConfig()
        self.cash = cash
        self.ledger = {"pnl": ZERO, "fee": ZERO, "funding": ZERO, "liquidation": ZERO}
        self.pos_mode = "net_mode"
        self.levers: dict[tuple[str, str, str], Decimal] = {}
        self.positions: dict[tuple[str, str, str], SimPosition] = {}
        self.orders: dict[str, SimOrder] = {}
        self.live: dict[str, SimOrder] = {}
        self.fills: list[SimFill] = []
        self.closed_log: list[ClosedPosition] | None = None  # in-process readers turn this on
        self._closing: SimOrder | None = None  # the order whose fill is being applied
        self.last: dict[str, float] = {}
        self.now_ms = now_ms
        self.u_time = now_ms
        self.lo: dict[str, float] = dict.fromkeys(instruments, -INF)
        self.hi: dict[str, float] = dict.fromkeys(instruments, INF)
        self.events: list[tuple[str, object]] = []
        self.record_events = True
        self.ids = Ids()
        self._cl_index: dict[str, str] = {}  # clOrdId → newest ordId
        self._checking = False
        self.init_algos()

    # --- lookups ---------------------------------------------------------------------------
    def instrument(self, inst_id: str) -> SimInstrument:
        inst = self.instruments.get(inst_id)
        if inst is None or inst_id not in self.last:
            raise Reject("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        return inst

    def mark(self, inst_id: str) -> Decimal:
        inst = self.instruments[inst_id]
        return Decimal(f"{self.last[inst_id]:.{inst.price_digits}f}")

    def lever_for(self, inst_id: str, td_mode: str, pos_side: str) -> Decimal:
        side = pos_side if td_mode == "isolated" and self.pos_mode == "long_short_mode" else ""
        return self.levers.get((inst_id, td_mode, side), self.config.default_lever)

    def position_key(self, inst_id: str, td_mode: str, pos_side: str) -> tuple[str, str, str]:
        return (inst_id, td_mode, "net" if self.pos_mode == "net_mode" else pos_side)

    def positions_of(self, inst_id: str) -> list[SimPosition]:
        return [p for p in self.positions.values() if p.inst_id == inst_id]

    def live_by_cl_ord_id(self, cl_ord_id: str) -> SimOrder | None:
        ord_id = self._cl_index.get(cl_ord_id)
        order = self.live.get(ord_id) if ord_id else None
        return order

    def find_order(self, ord_id: str = "", cl_ord_id: str = "") -> SimOrder | None:
        """By ordId, else the most recent order with that clOrdId (OKX semantics)."""
        if ord_id:
            return self.orders.get(ord_id)
        ord_id = self._cl_index.get(cl_ord_id, "")
        return self.orders.get(ord_id) if ord_id else None

    def figures(self) -> AccountFigures:
        rows = [(p, self.instruments[p.inst_id], self.mark(p.inst_id)) for p in self.positions.values()]
        return account_figures(self.cash, rows, sum((o.frozen for o in self.live.values()), ZERO))

    # --- events ----------------------------------------------------------------------------
    def emit(self, kind: str, item: object) -> None:
        if self.record_events:
            self.events.append((kind, copy.copy(item) if kind in ("order", "algo", "position") else item))

    def drain_events(self) -> list[tuple[str, object]]:
        events, self.events = self.events, []
        return events

    # --- market ----------------------------------------------------------------------------
    def set_last(self, inst_id: str, price: float, ts_ms: int) -> None:
        """A new price without checks (callers know it lies strictly inside lo..hi)."""
        self.last[inst_id] = price
        self.now_ms = ts_ms

    def on_price(self, inst_id: str, price: float, ts_ms: int) -> None:
        self.last[inst_id] = price
        self.now_ms = ts_ms
        if price <= self.lo[inst_id] or price >= self.hi[inst_id]:
            self.check(inst_id)

    def check(self, inst_id: str) -> None:
        """Fire everything the current price reaches, repeatedly, until nothing more happens."""
        if self._checking:
            return
        self._checking = True
        try:
            for _ in range(50):
                price = self.last[inst_id]
                fired = self._fire_limits(inst_id, price) or self.fire_algos(inst_id, price)
                fired = self.liquidate_if_needed(inst_id, price) or fired
                self.recompute(inst_id)
                if not fired:
                    break
        finally:
            self._checking = False

    def recompute(self, inst_id: str) -> None:
        lo, hi = -INF, INF
        for order in self.live.values():
            if order.inst_id == inst_id and order.px is not None:
                if order.side == "buy":
                    lo = max(lo, float(order.px))
                else:
                    hi = min(hi, float(order.px))
        for level, up in self.algo_levels(inst_id):
            if up:
                hi = min(hi, level)
            else:
                lo = max(lo, level)
        down, up_level = self.liquidation_levels(inst_id)
        self.lo[inst_id], self.hi[inst_id] = max(lo, down), min(hi, up_level)

    def recompute_all(self) -> None:
        for inst_id in self.last:
            self.recompute(inst_id)

    # --- orders ----------------------------------------------------------------------------
    def place_order(self, p: OrderParams, algo_id: str = "", algo_cl_ord_id: str = "") -> SimOrder:
        inst = validation.check_common(self, p)
        last = self.mark(p.inst_id)
        validation.check_size(inst, p.sz, p.ord_type in ("market", "optimal_limit_ioc"))
        validation.check_price(inst, p, last)
        validation.check_client_id(self, p)
        for spec in p.attach:
            validation.check_attach_spec(spec)
        validation.check_attached(p, last)
        pos_side = "net" if self.pos_mode == "net_mode" else p.pos_side
        self._check_reducing(p, pos_side)
        lever = self.lever_for(p.inst_id, p.td_mode, pos_side)
        self._check_margin(p, inst, pos_side, lever, last)
        order = SimOrder(
            ord_id=self.ids.next("order"), cl_ord_id=p.cl_ord_id, tag=p.tag, inst_id=p.inst_id, td_mode=p.td_mode,
            side=p.side, pos_side=pos_side, ord_type=p.ord_type, sz=p.sz, px=p.px, reduce_only=p.reduce_only,
            lever=lever, c_time=self.now_ms, u_time=self.now_ms, attach=self._with_attach_ids(p.attach),
            algo_id=algo_id, algo_cl_ord_id=algo_cl_ord_id,
        )
        self._remember(order)
        self._execute(order, inst)
        self.check(p.inst_id)
        return order

    def _with_attach_ids(self, specs: list[AttachSpec]) -> list[AttachSpec]:
        for spec in specs:
            spec.attach_algo_id = spec.attach_algo_id or self.ids.next("algo")
        return specs

    def _remember(self, order: SimOrder) -> None:
        self.orders[order.ord_id] = order
        if order.cl_ord_id:
            self._cl_index[order.cl_ord_id] = order.ord_id
        if len(self.orders) > HISTORY_LIMIT:
            oldest = next(k for k, o in self.orders.items() if not o.is_live)
            del self.orders[oldest]

    def _closing_qty(self, order_side: str, inst_id: str, td_mode: str, pos_side: str) -> Decimal | None:
        """Contracts this order can close (None when it opens: long/short mode opening orders)."""
        pos = self.positions.get(self.position_key(inst_id, td_mode, pos_side))
        if pos_side == "net":
            if pos is None or pos.qty == 0:
                return ZERO
            return abs(pos.qty) if (pos.qty > 0) == (order_side == "sell") else ZERO
        opening = (order_side == "buy") == (pos_side == "long")
        return None if opening else (abs(pos.qty) if pos else ZERO)

    def _check_reducing(self, p: OrderParams, pos_side: str) -> None:
        closing = self._closing_qty(p.side, p.inst_id, p.td_mode, pos_side)
        must_close = p.reduce_only or (pos_side != "net" and closing is not None)
        if not must_close:
            return
        pos = self.positions.get(self.position_key(p.inst_id, p.td_mode, pos_side))
        if pos is None or pos.qty == 0:
            raise Reject("51169", "Order failed because you don't have any positions in this direction for this "
                                  "contract to reduce or close.")
        if not closing:
            raise Reject("51170", "Failed to place order. A reduce-only order can’t be the same trading direction "
                                  "as your existing positions.")
        if p.sz > closing - self.pending_closing(pos, p.side):
            raise Reject("51112", "Close order size exceeds available size for this position.")

    def pending_closing(self, pos: SimPosition, side: str) -> Decimal:
        return sum((o.remaining for o in self.live.values() if o.inst_id == pos.inst_id and o.side == side
                    and o.td_mode == pos.mgn_mode and o.pos_side == pos.pos_side
                    and (o.reduce_only or o.pos_side != "net")), ZERO)

    def opening_qty(self, side: str, sz: Decimal, inst_id: str, td_mode: str, pos_side: str) -> Decimal:
        closing = self._closing_qty(side, inst_id, td_mode, pos_side)
        return sz if closing is None else max(ZERO, sz - closing)

    def _check_margin(self, p: OrderParams, inst: SimInstrument, pos_side: str, lever: Decimal, last: Decimal) -> None:
        if p.reduce_only:
            return
        qty = self.opening_qty(p.side, p.sz, p.inst_id, p.td_mode, pos_side)
        if not qty:
            return
        px = p.px if p.px is not None else self._walk_vwap(inst, p.side, p.sz, last)
        need = qty * inst.ct_val * px * (1 / lever + self.config.taker_fee)
        if need > self.figures().avail_eq:
            raise validation.INSUFFICIENT_MARGIN

    def _walk_vwap(self, inst: SimInstrument, side: str, qty: Decimal, last: Decimal) -> Decimal:
        fills = book.walk(inst, last, side, qty, self.now_ms, self.config.book)
        return sum((px * sz for px, sz in fills), ZERO) / qty

    def _execute(self, order: SimOrder, inst: SimInstrument) -> None:
        last = self.mark(order.inst_id)
        if order.ord_type in ("market", "optimal_limit_ioc"):
            self._take(order, inst, last, None)
            self._finish_taker(order)
            return
        assert order.px is not None
        spread = self.config.book.spread_ticks * inst.tick_sz
        bid = last - (self.config.book.spread_ticks // 2) * inst.tick_sz
        crosses = order.px >= bid + spread if order.side == "buy" else order.px <= bid
        if crosses and order.ord_type == "post_only":
            self._cancel(order, "31")
            return
        if crosses:
            if order.ord_type == "fok" and not self._fok_fillable(order, inst, last):
                self._cancel(order, "30")
                return
            self._take(order, inst, last, order.px)
        if order.ord_type in ("ioc", "fok"):
            self._finish_taker(order)
        elif order.remaining > 0:
            self.live[order.ord_id] = order
            self._refreeze(order)
            if not order.acc_fill_sz:
                self.emit("order", order)
            self.recompute(order.inst_id)

    def _fok_fillable(self, order: SimOrder, inst: SimInstrument, last: Decimal) -> bool:
        fills = book.walk(inst, last, order.side, order.remaining, self.now_ms, self.config.book, order.px)
        return sum((sz for _, sz in fills), ZERO) >= order.remaining

    def _take(self, order: SimOrder, inst: SimInstrument, last: Decimal, limit_px: Decimal | None) -> None:
        for px, sz in book.walk(inst, last, order.side, order.remaining, self.now_ms, self.config.book, limit_px):
            self.fill(order, inst, px, sz, maker=False)

    def _finish_taker(self, order: SimOrder) -> None:
        if order.remaining > 0 and order.is_live:
            self._cancel(order, "14" if order.acc_fill_sz else "30")

    def _refreeze(self, order: SimOrder) -> None:
        inst = self.instruments[order.inst_id]
        qty = ZERO if order.reduce_only else self.opening_qty(
            order.side, order.remaining, order.inst_id, order.td_mode, order.pos_side)
        order.frozen = qty * inst.ct_val * (order.px or ZERO) / order.lever

    def _fire_limits(self, inst_id: str, price: float) -> bool:
        fired = False
        for order in [o for o in self.live.values() if o.inst_id == inst_id]:
            if order.px is None or not order.is_live:
                continue
            if (order.side == "buy" and price <= order.px) or (order.side == "sell" and price >= order.px):
                qty = order.remaining
                if order.reduce_only:
                    qty = min(qty, self._closing_qty(order.side, inst_id, order.td_mode, order.pos_side) or ZERO)
                if qty:
                    self.fill(order, self.instruments[inst_id], order.px, qty, maker=True)
                if order.is_live:  # a reduce-only order larger than what is left to reduce
                    self._cancel(order, "14")
                fired = True
        return fired

    def fill(self, order: SimOrder, inst: SimInstrument, px: Decimal, sz: Decimal, maker: bool) -> None:
        rate = self.config.maker_fee if maker else self.config.taker_fee
        fee = money(-(px * sz * inst.ct_val * rate))
        pos = self._position_for(order)
        trade_id = self.ids.next("trade")
        pnl = money(self._apply(pos, sz if order.side == "buy" else -sz, px, order.lever, inst))
        self.book_cash("pnl", pnl)
        self.book_cash("fee", fee)
        pos.fee += fee
        pos.pnl += pnl
        pos.trade_id, pos.u_time = trade_id, self.now_ms
        order.acc_fill_sz += sz
        order.fill_notional += px * sz
        order.fee += fee
        order.pnl += pnl
        order.fill_px, order.fill_sz, order.fill_fee, order.fill_pnl = px, sz, fee, pnl
        order.fill_time, order.trade_id, order.exec_type = self.now_ms, trade_id, "M" if maker else "T"
        order.u_time = self.now_ms
        order.state = "filled" if order.remaining == 0 else "partially_filled"
        if order.state == "filled":
            self.live.pop(order.ord_id, None)
            order.frozen = ZERO
        self.fills.append(SimFill(trade_id, self.ids.next("bill"), order.ord_id, order.cl_ord_id, order.tag,
                                  order.inst_id, order.side, order.pos_side, px, sz, fee, -rate, pnl,
                                  order.exec_type, self.now_ms))
        if len(self.fills) > HISTORY_LIMIT:
            del self.fills[: len(self.fills) - HISTORY_LIMIT]
        self.emit("order", order)
        self.emit("position", pos)
        self._closing = order
        self._settle_position(pos)
        self._closing = None
        if order.state == "filled" and order.attach and not order.attach_active:
            self.activate_attached(order, order.acc_fill_sz)

    def book_cash(self, kind: str, amount: Decimal) -> None:
        if amount:
            self.cash += amount
            self.ledger[kind] += amount
            self.u_time = self.now_ms
            self.emit("account", None)

    def _position_for(self, order: SimOrder) -> SimPosition:
        key = self.position_key(order.inst_id, order.td_mode, order.pos_side)
        pos = self.positions.get(key)
        if pos is None:
            pos = SimPosition(order.inst_id, order.td_mode, key[2], self.ids.next("pos"), order.lever,
                              self.now_ms, self.now_ms)
            self.positions[key] = pos
        return pos

    def _apply(self, pos: SimPosition, delta: Decimal, px: Decimal, lever: Decimal, inst: SimInstrument) -> Decimal:
        """Move the position by `delta` contracts at `px`; return the PnL realised by the reducing part."""
        pnl = ZERO
        if pos.qty and (pos.qty > 0) != (delta > 0):
            closed = min(abs(delta), abs(pos.qty))
            sign = 1 if pos.qty > 0 else -1
            pos.was_long = sign > 0
            pnl = (px - pos.avg_px) * closed * inst.ct_val * sign
            if pos.mgn_mode == "isolated":
                pos.margin -= pos.margin * closed / abs(pos.qty)
            pos.qty -= sign * closed
            delta += sign * closed
            if pos.qty == 0 and delta:
                self._close_position(pos, exit_px=px)  # a flip: the old position ends here, a new one opens
                self._reopen(pos)
        if delta:
            size = abs(pos.qty) + abs(delta)
            pos.avg_px = px if not pos.qty else price_q((pos.avg_px * abs(pos.qty) + px * abs(delta)) / size)
            pos.qty += delta
            pos.peak_qty = max(pos.peak_qty, abs(pos.qty))
            pos.lever = lever
            if pos.mgn_mode == "isolated":
                pos.margin += px * abs(delta) * inst.ct_val / lever
        return pnl

    def _settle_position(self, pos: SimPosition) -> None:
        if pos.qty == 0 and self.positions.get(pos.key) is pos:
            self._close_position(pos, announce=False)  # `fill` has just pushed the flat position
            del self.positions[pos.key]

    def _close_position(self, pos: SimPosition, announce: bool = True, exit_px: Decimal | None = None) -> None:
        pos.u_time = self.now_ms
        pos.margin = ZERO
        if announce:
            self.emit("position", pos)
        if self.closed_log is not None:
            self.closed_log.append(self._closed_record(pos, exit_px))
        self.cancel_position_algos(pos)

    def _closed_record(self, pos: SimPosition, exit_px: Decimal | None) -> ClosedPosition:
        order = self._closing
        if exit_px is None and order is not None:
            exit_px = order.fill_px
        return ClosedPosition(
            inst_id=pos.inst_id, pos_side=pos.pos_side, side="long" if pos.was_long else "short",
            pos_id=pos.pos_id, size=pos.peak_qty, entry_px=pos.avg_px, exit_px=exit_px,
            pnl=pos.pnl + pos.liq_penalty, fee=pos.fee, funding=pos.funding_fee, opened_ms=pos.c_time,
            closed_ms=self.now_ms, reason=self._close_reason(order),
        )

    def _close_reason(self, order: SimOrder | None) -> str:
        if order is None:
            return "manual"
        if order.category == "full_liquidation":
            return "liquidation"
        algo = self.find_algo(order.algo_id) if order.algo_id else None
        if algo is not None:
            return {"tp": "take_profit", "sl": "stop_loss"}.get(algo.actual_side, "manual")
        return "manual"

    def _reopen(self, pos: SimPosition) -> None:
        pos.pos_id, pos.c_time = self.ids.next("pos"), self.now_ms
        pos.pnl = pos.fee = pos.funding_fee = pos.liq_penalty = ZERO
        pos.margin = ZERO
        pos.peak_qty = ZERO

    def close_position(self, inst_id: str, mgn_mode: str, pos_side: str, auto_cxl: bool, cl_ord_id: str = "",
                       tag: str = "") -> str:
        """Close the whole position at market (OKX close-position); returns its posSide."""
        self.instrument(inst_id)
        if mgn_mode not in ("cross", "isolated"):
            raise param_error("mgnMode")
        if self.pos_mode == "long_short_mode" and pos_side not in ("long", "short"):
            raise param_error("posSide")
        pos = self.positions.get(self.position_key(inst_id, mgn_mode, pos_side))
        if pos is None or not pos.qty:
            raise Reject("51023", "Position doesn't exist.")
        closing = [o for o in self.live.values() if o.inst_id == inst_id and o.td_mode == mgn_mode
                   and o.pos_side == pos.pos_side and (o.reduce_only or o.pos_side != "net")]
        if closing and not auto_cxl:
            raise Reject("51115", "Cancel all pending close-orders before liquidation.")
        for order in closing:
            self._cancel(order, "1")
        net = self.pos_mode == "net_mode"
        self.place_order(OrderParams(inst_id, mgn_mode, "sell" if pos.qty > 0 else "buy", "market", abs(pos.qty),
                                     None, "" if net else pos.pos_side, net, cl_ord_id, tag))
        return pos.pos_side

    # --- cancel / amend --------------------------------------------------------------------
    def cancel_order(self, inst_id: str, ord_id: str = "", cl_ord_id: str = "") -> SimOrder:
        self.instrument(inst_id)
        if not ord_id and not cl_ord_id:
            raise Reject("51003", "Either client order ID or order ID is required.")
        order = self.find_order(ord_id, cl_ord_id)
        if order is None or not order.is_live or order.inst_id != inst_id:
            raise Reject("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")
        self._cancel(order, "1")
        self.recompute(inst_id)
        return order

    def _cancel(self, order: SimOrder, source: str) -> None:
        order.state, order.cancel_source, order.u_time, order.frozen = "canceled", source, self.now_ms, ZERO
        self.live.pop(order.ord_id, None)
        self.emit("order", order)
        self.emit("account", None)
        if order.attach and order.acc_fill_sz and not order.attach_active:
            self.activate_attached(order, order.acc_fill_sz)

    def amend_order(self, inst_id: str, ord_id: str, cl_ord_id: str, new_sz: Decimal | None,
                    new_px: Decimal | None) -> SimOrder:
        inst = self.instrument(inst_id)
        if not ord_id and not cl_ord_id:
            raise Reject("51003", "Either client order ID or order ID is required.")
        if new_sz is None and new_px is None:
            raise Reject("50014", "Parameter newSz can not be empty.", 400)
        order = self.find_order(ord_id, cl_ord_id)
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
                                                     new_px), self.mark(inst_id))
            order.px = new_px
        order.u_time = self.now_ms
        self.live.pop(order.ord_id, None)
        self._execute(order, inst)
        self.check(inst_id)
        return order

    # --- settings --------------------------------------------------------------------------
    def set_position_mode(self, mode: str) -> None:
        if mode not in ("net_mode", "long_short_mode"):
            raise param_error("posMode")
        if mode != self.pos_mode and (self.positions or self.live or self.live_algos()):
            raise Reject("59000", "Settings failed. Close any open positions or orders before modifying settings.")
        self.pos_mode = mode

    def set_leverage(self, inst_id: str, lever: Decimal, mgn_mode: str, pos_side: str = "") -> list[dict[str, str]]:
        inst = self.instrument(inst_id)
        if mgn_mode not in ("cross", "isolated"):
            raise param_error("mgnMode")
        if lever < 1 or lever.as_tuple().exponent < -2:  # type: ignore[operator]
            raise param_error("lever")
        if lever > inst.max_lever:
            raise Reject("59102", "Leverage exceeds the maximum limit. Please lower the leverage.")
        per_side = mgn_mode == "isolated" and self.pos_mode == "long_short_mode"
        if (pos_side and not per_side) or (per_side and pos_side not in ("long", "short")):
            raise param_error("posSide")
        if mgn_mode == "isolated" and any(o.inst_id == inst_id and o.td_mode == "isolated" for o in self.live.values()):
            raise Reject("59101", "Leverage can't be modified. Please cancel all pending isolated margin orders "
                                  "before adjusting the leverage.")
        self._relever_positions(inst, mgn_mode, pos_side, lever)
        self.levers[(inst_id, mgn_mode, pos_side)] = lever
        self.recompute(inst_id)
        return [{"instId": inst_id, "lever": _plain(lever), "mgnMode": mgn_mode, "posSide": pos_side}]

    def _relever_positions(self, inst: SimInstrument, mgn_mode: str, pos_side: str, lever: Decimal) -> None:
        affected = [p for p in self.positions_of(inst.inst_id)
                    if p.mgn_mode == mgn_mode and (not pos_side or p.pos_side == pos_side)]
        mark = self.mark(inst.inst_id)
        extra = ZERO
        for pos in affected:
            size = abs(pos.qty) * inst.ct_val
            if mgn_mode == "isolated":
                margin = size * pos.avg_px / lever
                if margin + accounting.upl(pos, inst, mark) <= accounting.mmr(pos, inst, mark):
                    raise Reject("59109", "Account equity less than the required margin amount after adjustment. "
                                          "Please adjust the leverage.")
                extra += margin - pos.margin
            else:
                extra += size * mark / lever - accounting.imr(pos, inst, mark)
        if extra > 0 and extra > self.figures().avail_eq:
            raise Reject("59103", "Account margin is insufficient and leverage is too low. Please increase the leverage.")
        for pos in affected:
            pos.lever = lever
            if mgn_mode == "isolated":
                pos.margin = abs(pos.qty) * inst.ct_val * pos.avg_px / lever
            self.emit("position", pos)

    def iter_positions(self) -> Iterator[SimPosition]:
        return iter(list(self.positions.values()))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
