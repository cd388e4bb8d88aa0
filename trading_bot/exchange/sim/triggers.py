"""Placing algo orders and firing them: a TP/SL that closes a long (side sell) fires when the price
rises to its TP or falls to its SL, one that closes a short mirrors that; a `trigger` order fires
when the price crosses its trigger in the direction it lay in when placed. A fired algo places its
order (market, or limit at its order price) and ends `effective`, or `order_failed` if refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from trading_bot.exchange.sim import validation
from trading_bot.exchange.sim.algos import Algos
from trading_bot.exchange.sim.matching import Matching
from trading_bot.exchange.sim.orders import (
    MARKET_PX,
    ZERO,
    AlgoParams,
    Ids,
    OrderParams,
    Reject,
    SimAlgo,
    param_error,
    param_missing,
)
from trading_bot.exchange.sim.positions import Positions
from trading_bot.exchange.sim.quotes import Quotes
from trading_bot.exchange.sim.settings import AccountSettings

ALGO_TYPES = frozenset({"conditional", "oco", "trigger"})


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Triggers:
    quotes: Quotes
    settings: AccountSettings
    ids: Ids
    algos: Algos
    positions: Positions
    matching: Matching

    def place(self, p: AlgoParams) -> SimAlgo:
        inst = self.quotes.instrument(p.inst_id)
        self._check_params(p)
        if p.sz is not None:
            validation.check_size(inst, p.sz, False)
        last = self.quotes.mark(p.inst_id)
        pos_side = self.settings.pos_side(p.pos_side)
        trigger_up = True
        if p.trigger_px is not None and p.ord_type == "trigger":
            trigger_up = p.trigger_px >= last
        else:
            validation.check_tp_sl_side(p.side, p.tp_trigger_px, p.sl_trigger_px, last)
            if p.close_fraction == "1" and not self.positions.closing_qty(p.side, p.inst_id, p.td_mode, pos_side):
                raise Reject("51058", "No available position for this algo order")
        now = self.quotes.now_ms
        algo = SimAlgo(
            algo_id=self.ids.next("algo"), algo_cl_ord_id=p.algo_cl_ord_id, inst_id=p.inst_id, td_mode=p.td_mode,
            side=p.side, pos_side=pos_side, ord_type=p.ord_type, sz=p.sz, close_fraction=p.close_fraction,
            reduce_only=p.reduce_only or bool(p.close_fraction), tag=p.tag,
            lever=self.settings.lever_for(p.inst_id, p.td_mode, pos_side), c_time=now, u_time=now,
            tp_trigger_px=p.tp_trigger_px, tp_ord_px=p.tp_ord_px,
            tp_trigger_px_type=p.tp_trigger_px_type if p.tp_trigger_px is not None else "",
            sl_trigger_px=p.sl_trigger_px, sl_ord_px=p.sl_ord_px,
            sl_trigger_px_type=p.sl_trigger_px_type if p.sl_trigger_px is not None else "",
            trigger_px=p.trigger_px, order_px=p.order_px,
            trigger_px_type=p.trigger_px_type if p.trigger_px is not None else "",
            trigger_up=trigger_up, attach=self.ids.attach(p.attach),
        )
        self.algos.add(algo)
        return algo

    def levels(self, inst_id: str) -> Iterator[tuple[float, bool]]:
        """(price, fires_upwards) of every live algo of the instrument."""
        for algo in self.algos.live(inst_id):
            if algo.trigger_px is not None and algo.ord_type == "trigger":
                yield float(algo.trigger_px), algo.trigger_up
                continue
            closes_long = algo.side == "sell"
            if algo.tp_trigger_px is not None:
                yield float(algo.tp_trigger_px), closes_long
            if algo.sl_trigger_px is not None:
                yield float(algo.sl_trigger_px), not closes_long

    def fire(self, inst_id: str, price: float) -> bool:
        fired = False
        for algo in self.algos.live(inst_id):
            which = _reached(algo, price)
            if which and algo.state == "live":  # an earlier one may have closed the position and ended it
                self._trigger(algo, which)
                fired = True
        return fired

    def _trigger(self, algo: SimAlgo, which: str) -> None:
        ord_px = {"tp": algo.tp_ord_px, "sl": algo.sl_ord_px}.get(which, algo.order_px)
        market = ord_px is None or ord_px == MARKET_PX
        algo.trigger_time, algo.actual_side = self.quotes.now_ms, which if which != "trigger" else ""
        algo.last_px = self.quotes.mark(algo.inst_id)
        algo.actual_px = ord_px if ord_px is not None else MARKET_PX
        self.algos.set_off(algo)
        try:
            sz = self._size(algo)
            net = self.settings.net
            params = OrderParams(algo.inst_id, algo.td_mode, algo.side, "market" if market else "limit", sz,
                                 None if market else ord_px, "" if net else algo.pos_side,
                                 algo.reduce_only and net, "", algo.tag, list(algo.attach))
            order = self.matching.place_order(params, algo_id=algo.algo_id, algo_cl_ord_id=algo.algo_cl_ord_id)
        except Reject as exc:
            algo.fail_code = exc.code
            self.algos.end(algo, "order_failed")
            return
        algo.ord_id, algo.actual_sz = order.ord_id, sz
        self.algos.end(algo, "effective")

    def _size(self, algo: SimAlgo) -> Decimal:
        if algo.ord_type == "trigger":
            return algo.sz or ZERO
        closing = self.positions.closing_qty(algo.side, algo.inst_id, algo.td_mode, algo.pos_side) or ZERO
        sz = closing if algo.close_fraction == "1" or algo.sz is None else min(algo.sz, closing)
        if not sz:
            raise Reject("51169", "Order failed because you don't have any positions in this direction for this "
                                  "contract to reduce or close.")
        return sz

    def _check_params(self, p: AlgoParams) -> None:
        if p.ord_type not in ALGO_TYPES:
            raise param_error("ordType")
        if p.td_mode not in ("cross", "isolated"):
            raise param_error("tdMode")
        if p.side not in ("buy", "sell"):
            raise param_error("side")
        validation.check_pos_side(self.settings, p.pos_side)
        if p.algo_cl_ord_id and not validation.ID_PATTERN.match(p.algo_cl_ord_id):
            raise param_error("algoClOrdId")
        if p.algo_cl_ord_id and any(a.algo_cl_ord_id == p.algo_cl_ord_id for a in self.algos.live()):
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


def _reached(algo: SimAlgo, price: float) -> str:
    if algo.trigger_px is not None and algo.ord_type == "trigger":
        level = float(algo.trigger_px)
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
