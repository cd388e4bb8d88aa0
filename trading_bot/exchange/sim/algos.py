"""Algo orders: stand-alone `conditional` / `oco` TP/SL, `trigger` orders, and the TP/SL attached to
an order (`attachAlgoOrds`), which become live only once their parent has filled.

A TP/SL that closes a long (side sell) fires when the price rises to its TP or falls to its SL; one
that closes a short mirrors that. When a position is closed, the reduce-only algo orders that
protected it are cancelled with it (no stale stop is left behind for a position that is gone).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from trading_bot.exchange.sim import validation
from trading_bot.exchange.sim.orders import (
    MARKET_PX,
    ZERO,
    AlgoParams,
    OrderParams,
    Reject,
    SimAlgo,
    SimOrder,
    SimPosition,
    param_error,
    param_missing,
)

if TYPE_CHECKING:
    from trading_bot.exchange.sim.engine import Engine

ALGO_TYPES = frozenset({"conditional", "oco", "trigger"})
ALGO_HISTORY_LIMIT = 20_000


class AlgoMixin:
    algos: dict[str, SimAlgo]  # every algo order (history capped), by algoId
    _live_algos: dict[str, SimAlgo]

    def init_algos(self) -> None:
        self.algos = {}
        self._live_algos = {}

    def live_algos(self, inst_id: str | None = None) -> list[SimAlgo]:
        return [a for a in self._live_algos.values() if inst_id is None or a.inst_id == inst_id]

    def _add_algo(self, algo: SimAlgo) -> None:
        self.algos[algo.algo_id] = algo
        self._live_algos[algo.algo_id] = algo
        if len(self.algos) > ALGO_HISTORY_LIMIT:
            oldest = next(k for k, a in self.algos.items() if a.state != "live")
            del self.algos[oldest]

    # --- placing and cancelling --------------------------------------------------------------
    def place_algo(self: Engine, p: AlgoParams) -> SimAlgo:  # type: ignore[misc]
        inst = self.instrument(p.inst_id)
        _check_algo_params(self, p)
        if p.sz is not None:
            validation.check_size(inst, p.sz, False)
        last = self.mark(p.inst_id)
        pos_side = "net" if self.pos_mode == "net_mode" else p.pos_side
        trigger_up = True
        if p.ord_type == "trigger":
            trigger_up = p.trigger_px >= last  # type: ignore[operator]
        else:
            validation.check_tp_sl_side(p.side, p.tp_trigger_px, p.sl_trigger_px, last)
            if p.close_fraction == "1" and not self._closing_qty(p.side, p.inst_id, p.td_mode, pos_side):
                raise Reject("51058", "No available position for this algo order")
        algo = SimAlgo(
            algo_id=self.ids.next("algo"), algo_cl_ord_id=p.algo_cl_ord_id, inst_id=p.inst_id, td_mode=p.td_mode,
            side=p.side, pos_side=pos_side, ord_type=p.ord_type, sz=p.sz, close_fraction=p.close_fraction,
            reduce_only=p.reduce_only or bool(p.close_fraction), tag=p.tag,
            lever=self.lever_for(p.inst_id, p.td_mode, pos_side), c_time=self.now_ms, u_time=self.now_ms,
            tp_trigger_px=p.tp_trigger_px, tp_ord_px=p.tp_ord_px,
            tp_trigger_px_type=p.tp_trigger_px_type if p.tp_trigger_px is not None else "",
            sl_trigger_px=p.sl_trigger_px, sl_ord_px=p.sl_ord_px,
            sl_trigger_px_type=p.sl_trigger_px_type if p.sl_trigger_px is not None else "",
            trigger_px=p.trigger_px, order_px=p.order_px,
            trigger_px_type=p.trigger_px_type if p.trigger_px is not None else "",
            trigger_up=trigger_up, attach=self._with_attach_ids(p.attach),
        )
        self._add_algo(algo)
        self.emit("algo", algo)
        self.check(p.inst_id)
        return algo

    def cancel_algo(self: Engine, inst_id: str, algo_id: str = "", algo_cl_ord_id: str = "") -> SimAlgo:  # type: ignore[misc]
        self.instrument(inst_id)
        if not algo_id and not algo_cl_ord_id:
            raise param_missing("algoId")
        for algo in self.live_algos(inst_id):
            if (algo_id and algo.algo_id == algo_id) or (not algo_id and algo.algo_cl_ord_id == algo_cl_ord_id):
                self._end_algo(algo, "canceled")
                self.recompute(inst_id)
                return algo
        raise Reject("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")

    def find_algo(self, algo_id: str = "", algo_cl_ord_id: str = "") -> SimAlgo | None:
        if algo_id:
            return self.algos.get(algo_id)
        matches = [a for a in self.algos.values() if algo_cl_ord_id and a.algo_cl_ord_id == algo_cl_ord_id]
        return matches[-1] if matches else None

    def _end_algo(self: Engine, algo: SimAlgo, state: str) -> None:  # type: ignore[misc]
        algo.state, algo.u_time = state, self.now_ms
        self._live_algos.pop(algo.algo_id, None)
        self.emit("algo", algo)

    # --- attached TP/SL ------------------------------------------------------------------------
    def activate_attached(self: Engine, order: SimOrder, qty: Decimal) -> None:  # type: ignore[misc]
        order.attach_active = True
        for spec in order.attach:
            algo = SimAlgo(
                algo_id=spec.attach_algo_id, algo_cl_ord_id=spec.attach_algo_cl_ord_id, inst_id=order.inst_id,
                td_mode=order.td_mode, side="sell" if order.side == "buy" else "buy", pos_side=order.pos_side,
                ord_type="oco" if spec.tp_trigger_px is not None and spec.sl_trigger_px is not None else "conditional",
                sz=qty, close_fraction="", reduce_only=True, tag=order.tag, lever=order.lever,
                c_time=self.now_ms, u_time=self.now_ms,
                tp_trigger_px=spec.tp_trigger_px, tp_ord_px=spec.tp_ord_px if spec.tp_trigger_px is not None else None,
                tp_trigger_px_type=spec.tp_trigger_px_type if spec.tp_trigger_px is not None else "",
                sl_trigger_px=spec.sl_trigger_px, sl_ord_px=spec.sl_ord_px if spec.sl_trigger_px is not None else None,
                sl_trigger_px_type=spec.sl_trigger_px_type if spec.sl_trigger_px is not None else "",
                parent_ord_id=order.ord_id,
            )
            self._add_algo(algo)
            self.emit("algo", algo)
        self.recompute(order.inst_id)

    def cancel_position_algos(self: Engine, pos: SimPosition) -> None:  # type: ignore[misc]
        for algo in self.live_algos(pos.inst_id):
            closes_it = algo.reduce_only or (algo.pos_side != "net" and algo.ord_type != "trigger")
            if closes_it and algo.td_mode == pos.mgn_mode and algo.pos_side == pos.pos_side:
                self._end_algo(algo, "canceled")

    # --- triggering ----------------------------------------------------------------------------
    def algo_levels(self, inst_id: str) -> Iterator[tuple[float, bool]]:
        """(price, fires_upwards) of every live algo of the instrument."""
        for algo in self.live_algos(inst_id):
            if algo.ord_type == "trigger":
                yield float(algo.trigger_px), algo.trigger_up  # type: ignore[arg-type]
                continue
            closes_long = algo.side == "sell"
            if algo.tp_trigger_px is not None:
                yield float(algo.tp_trigger_px), closes_long
            if algo.sl_trigger_px is not None:
                yield float(algo.sl_trigger_px), not closes_long

    def fire_algos(self: Engine, inst_id: str, price: float) -> bool:  # type: ignore[misc]
        fired = False
        for algo in self.live_algos(inst_id):
            which = _reached(algo, price)
            if which and algo.state == "live":
                self._trigger(algo, which)
                fired = True
        return fired

    def _trigger(self: Engine, algo: SimAlgo, which: str) -> None:  # type: ignore[misc]
        ord_px = {"tp": algo.tp_ord_px, "sl": algo.sl_ord_px}.get(which, algo.order_px)
        market = ord_px is None or ord_px == MARKET_PX
        algo.trigger_time, algo.actual_side, algo.last_px = self.now_ms, which if which != "trigger" else "", self.mark(algo.inst_id)
        algo.actual_px = ord_px if ord_px is not None else MARKET_PX
        algo.state = "effective"  # before the order: closing the position must not cancel this algo
        self._live_algos.pop(algo.algo_id, None)
        try:
            sz = self._algo_size(algo)
            net = self.pos_mode == "net_mode"
            params = OrderParams(algo.inst_id, algo.td_mode, algo.side, "market" if market else "limit", sz,
                                 None if market else ord_px, "" if net else algo.pos_side,
                                 algo.reduce_only and net, "", algo.tag, list(algo.attach))
            order = self.place_order(params, algo_id=algo.algo_id, algo_cl_ord_id=algo.algo_cl_ord_id)
        except Reject as exc:
            algo.fail_code = exc.code
            self._end_algo(algo, "order_failed")
            return
        algo.ord_id, algo.actual_sz = order.ord_id, sz
        self._end_algo(algo, "effective")

    def _algo_size(self: Engine, algo: SimAlgo) -> Decimal:  # type: ignore[misc]
        if algo.ord_type == "trigger":
            return algo.sz or ZERO
        closing = self._closing_qty(algo.side, algo.inst_id, algo.td_mode, algo.pos_side) or ZERO
        sz = closing if algo.close_fraction == "1" or algo.sz is None else min(algo.sz, closing)
        if not sz:
            raise Reject("51169", "Order failed because you don't have any positions in this direction for this "
                                  "contract to reduce or close.")
        return sz


def _reached(algo: SimAlgo, price: float) -> str:
    if algo.ord_type == "trigger":
        level = float(algo.trigger_px)  # type: ignore[arg-type]
        return "trigger" if (price >= level if algo.trigger_up else price <= level) else ""
    closes_long = algo.side == "sell"
    if algo.tp_trigger_px is not None:
        tp = float(algo.tp_trigger_px)
        if (closes_long and price >= tp) or (not closes_long and price <= tp):
            return "tp"
    if algo.sl_trigger_px is not None:
        sl = float(algo.sl_trigger_px)
        if (closes_long and price <= sl) or (not closes_long and price >= sl):
            return "sl"
    return ""


def _check_algo_params(engine: Engine, p: AlgoParams) -> None:
    if p.ord_type not in ALGO_TYPES:
        raise param_error("ordType")
    if p.td_mode not in ("cross", "isolated"):
        raise param_error("tdMode")
    if p.side not in ("buy", "sell"):
        raise param_error("side")
    validation.check_pos_side(engine, p.pos_side)
    if p.algo_cl_ord_id and not validation.ID_PATTERN.match(p.algo_cl_ord_id):
        raise param_error("algoClOrdId")
    if p.algo_cl_ord_id and any(a.algo_cl_ord_id == p.algo_cl_ord_id for a in engine.live_algos()):
        raise Reject("51065", "algoClOrdId already exists.")
    if p.sz is None and p.close_fraction != "1":
        raise param_missing("sz")
    if p.close_fraction not in ("", "1"):
        raise param_error("closeFraction")
    if p.ord_type == "trigger":
        if p.trigger_px is None:
            raise param_missing("triggerPx")
        if p.order_px is None:
            raise param_missing("orderPx")
    elif p.ord_type == "oco" and (p.tp_trigger_px is None or p.sl_trigger_px is None):
        raise param_missing("tpTriggerPx" if p.tp_trigger_px is None else "slTriggerPx")
    elif p.tp_trigger_px is None and p.sl_trigger_px is None:
        raise param_missing("slTriggerPx")
