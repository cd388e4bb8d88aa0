"""Algo orders as records: stand-alone `conditional` / `oco` TP/SL, `trigger` orders, and the TP/SL
attached to an order (`attachAlgoOrds`), which become live only once their parent has filled.

When a position is closed, the reduce-only algo orders that protected it are cancelled with it (no
stale stop is left behind for a position that is gone). Placing and firing them: `triggers.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.orders import Reject, SimAlgo, SimOrder, SimPosition, param_missing
from trading_bot.exchange.sim.quotes import Quotes

ALGO_HISTORY_LIMIT = 20_000


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Algos:
    quotes: Quotes
    events: EventLog
    by_id: dict[str, SimAlgo] = field(init=False, default_factory=dict)  # every algo order (history capped)
    _live: dict[str, SimAlgo] = field(init=False, default_factory=dict)

    def live(self, inst_id: str | None = None) -> list[SimAlgo]:
        return [a for a in self._live.values() if inst_id is None or a.inst_id == inst_id]

    def find(self, algo_id: str = "", algo_cl_ord_id: str = "") -> SimAlgo | None:
        if algo_id:
            return self.by_id.get(algo_id)
        matches = [a for a in self.by_id.values() if algo_cl_ord_id and a.algo_cl_ord_id == algo_cl_ord_id]
        return matches[-1] if matches else None

    def add(self, algo: SimAlgo) -> None:
        self.by_id[algo.algo_id] = algo
        self._live[algo.algo_id] = algo
        if len(self.by_id) > ALGO_HISTORY_LIMIT:
            oldest = next(k for k, a in self.by_id.items() if a.state != "live")
            del self.by_id[oldest]
        self.events.algo(algo)

    def end(self, algo: SimAlgo, state: str) -> None:
        algo.state, algo.u_time = state, self.quotes.now_ms
        self._live.pop(algo.algo_id, None)
        self.events.algo(algo)

    def set_off(self, algo: SimAlgo) -> None:
        """A firing algo leaves the live ones before its order is placed: closing the position must
        not cancel it."""
        algo.state = "effective"
        self._live.pop(algo.algo_id, None)

    def cancel(self, inst_id: str, algo_id: str = "", algo_cl_ord_id: str = "") -> SimAlgo:
        self.quotes.instrument(inst_id)
        if not algo_id and not algo_cl_ord_id:
            raise param_missing("algoId")
        for algo in self.live(inst_id):
            if (algo_id and algo.algo_id == algo_id) or (not algo_id and algo.algo_cl_ord_id == algo_cl_ord_id):
                self.end(algo, "canceled")
                return algo
        raise Reject("51400", "Order cancellation failed as the order has been filled, canceled or does not exist.")

    def activate_attached(self, order: SimOrder, qty: Decimal) -> None:
        """The parent has filled (or ended after a partial fill): its TP/SL go live for `qty`."""
        order.attach_active = True
        now = self.quotes.now_ms
        for spec in order.attach:
            tp, sl = spec.tp_trigger_px is not None, spec.sl_trigger_px is not None
            self.add(SimAlgo(
                algo_id=spec.attach_algo_id, algo_cl_ord_id=spec.attach_algo_cl_ord_id, inst_id=order.inst_id,
                td_mode=order.td_mode, side="sell" if order.side == "buy" else "buy", pos_side=order.pos_side,
                ord_type="oco" if tp and sl else "conditional",
                sz=qty, close_fraction="", reduce_only=True, tag=order.tag, lever=order.lever, c_time=now, u_time=now,
                tp_trigger_px=spec.tp_trigger_px, tp_ord_px=spec.tp_ord_px if tp else None,
                tp_trigger_px_type=spec.tp_trigger_px_type if tp else "",
                sl_trigger_px=spec.sl_trigger_px, sl_ord_px=spec.sl_ord_px if sl else None,
                sl_trigger_px_type=spec.sl_trigger_px_type if sl else "",
                parent_ord_id=order.ord_id,
            ))

    def cancel_protecting(self, pos: SimPosition) -> None:
        """The position is gone: so are the algo orders that would close it."""
        for algo in self.live(pos.inst_id):
            closes_it = algo.reduce_only or (algo.pos_side != "net" and algo.ord_type != "trigger")
            if closes_it and algo.td_mode == pos.mgn_mode and algo.pos_side == pos.pos_side:
                self.end(algo, "canceled")

    def restore(self, algos: list[SimAlgo]) -> None:
        self.by_id = {a.algo_id: a for a in algos}
        self._live = {a.algo_id: a for a in algos if a.state == "live"}
