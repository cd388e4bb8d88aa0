"""Orders as records: every order by ordId (history capped), the live ones, the clOrdId index (OKX
answers for the newest order with that clOrdId) and the recent fills."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.exchange.sim.accounting import INF
from trading_bot.exchange.sim.orders import ZERO, SimFill, SimOrder, SimPosition

HISTORY_LIMIT = 20_000  # terminal orders and fills remembered


class OrderStore:
    def __init__(self) -> None:
        self.by_id: dict[str, SimOrder] = {}
        self.live: dict[str, SimOrder] = {}
        self.fills: list[SimFill] = []
        self._cl_index: dict[str, str] = {}  # clOrdId → newest ordId

    def remember(self, order: SimOrder) -> None:
        self.by_id[order.ord_id] = order
        if order.cl_ord_id:
            self._cl_index[order.cl_ord_id] = order.ord_id
        if len(self.by_id) > HISTORY_LIMIT:
            oldest = next(k for k, o in self.by_id.items() if not o.is_live)
            del self.by_id[oldest]

    def add_fill(self, fill: SimFill) -> None:
        self.fills.append(fill)
        if len(self.fills) > HISTORY_LIMIT:
            del self.fills[: len(self.fills) - HISTORY_LIMIT]

    def find(self, ord_id: str = "", cl_ord_id: str = "") -> SimOrder | None:
        """By ordId, else the most recent order with that clOrdId (OKX semantics)."""
        if ord_id:
            return self.by_id.get(ord_id)
        ord_id = self._cl_index.get(cl_ord_id, "")
        return self.by_id.get(ord_id) if ord_id else None

    def live_by_cl_ord_id(self, cl_ord_id: str) -> SimOrder | None:
        ord_id = self._cl_index.get(cl_ord_id)
        return self.live.get(ord_id) if ord_id else None

    def frozen(self) -> Decimal:
        """The margin the resting orders hold."""
        return sum((o.frozen for o in self.live.values()), ZERO)

    def closing(self, pos: SimPosition) -> list[SimOrder]:
        """Live orders that can only reduce the position (reduce-only, or any order in long/short mode
        on its side)."""
        return [o for o in self.live.values() if o.inst_id == pos.inst_id and o.td_mode == pos.mgn_mode
                and o.pos_side == pos.pos_side and (o.reduce_only or o.pos_side != "net")]

    def pending_closing(self, pos: SimPosition, side: str) -> Decimal:
        return sum((o.remaining for o in self.closing(pos) if o.side == side), ZERO)

    def bounds(self, inst_id: str) -> tuple[float, float]:
        """(highest resting buy, lowest resting sell) of the instrument: a price at either fills it."""
        lo, hi = -INF, INF
        for order in self.live.values():
            if order.inst_id == inst_id and order.px is not None:
                if order.side == "buy":
                    lo = max(lo, float(order.px))
                else:
                    hi = min(hi, float(order.px))
        return lo, hi

    def restore(self, orders: list[SimOrder], live: list[str], fills: list[SimFill]) -> None:
        self.by_id = {o.ord_id: o for o in orders}
        self.live = {i: self.by_id[i] for i in live if i in self.by_id}
        self._cl_index = {o.cl_ord_id: o.ord_id for o in orders if o.cl_ord_id}
        self.fills = fills
