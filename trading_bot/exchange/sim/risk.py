"""Liquidation.

Isolated: a position is liquidated when its margin plus unrealised PnL falls to its maintenance
margin; the trader loses the position's whole margin (the rest of it is the liquidation penalty;
in a gap past bankruptcy the insurance fund pays the difference, booked as a positive penalty).
Cross: when the equity backing cross positions falls to their maintenance margin, every cross
position is closed; the maintenance margin left is forfeited and a deficit is covered likewise.
Either way the account's cash never goes below the isolated margins it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trading_bot.exchange.sim.account import Account
from trading_bot.exchange.sim.accounting import INF, cross_line, isolated_line, mmr, upl
from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.matching import Matching
from trading_bot.exchange.sim.order_store import OrderStore
from trading_bot.exchange.sim.orders import Ids, SimOrder, SimPosition, money
from trading_bot.exchange.sim.positions import Positions
from trading_bot.exchange.sim.quotes import Quotes


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Liquidator:
    quotes: Quotes
    ids: Ids
    events: EventLog
    orders: OrderStore
    positions: Positions
    account: Account
    matching: Matching

    def levels(self, inst_id: str) -> tuple[float, float]:
        """(down, up): the instrument's prices at which a position of it would be liquidated."""
        down, up = -INF, INF
        inst = self.quotes.instruments[inst_id]
        mine = self.positions.of(inst_id)
        for pos in mine:
            if pos.mgn_mode == "isolated":
                d, u = isolated_line(pos, inst).threshold()
                down, up = max(down, d), min(up, u)
        if any(p.mgn_mode == "cross" for p in mine):
            mark = self.quotes.mark(inst_id)
            d, u = cross_line(self.account.figures(), [(p, inst, mark) for p in mine]).threshold()
            down, up = max(down, d), min(up, u)
        return down, up

    def liquidate_if_needed(self, inst_id: str, price: float) -> bool:
        fired = False
        inst = self.quotes.instruments[inst_id]
        mark = self.quotes.mark(inst_id)
        for pos in self.positions.of(inst_id):
            if pos.mgn_mode == "isolated" and pos.margin + upl(pos, inst, mark) <= mmr(pos, inst, mark):
                self._liquidate_isolated(pos)
                fired = True
        if any(p.mgn_mode == "cross" for p in self.positions.by_key.values()):
            figures = self.account.figures()
            if figures.cross_equity <= figures.cross_mmr:
                self._liquidate_cross(figures.cross_mmr)
                fired = True
        return fired

    def _liquidation_order(self, pos: SimPosition) -> SimOrder:
        for order in [o for o in self.orders.live.values() if o.inst_id == pos.inst_id and o.td_mode == pos.mgn_mode]:
            self.matching.cancel(order, "6")
        now = self.quotes.now_ms
        order = SimOrder(
            ord_id=self.ids.next("order"), cl_ord_id="", tag="", inst_id=pos.inst_id, td_mode=pos.mgn_mode,
            side="sell" if pos.qty > 0 else "buy", pos_side=pos.pos_side, ord_type="market", sz=abs(pos.qty),
            px=None, reduce_only=True, lever=pos.lever, c_time=now, u_time=now, category="full_liquidation",
        )
        self.orders.remember(order)
        self.matching.fill(order, self.quotes.instruments[pos.inst_id], self.quotes.mark(pos.inst_id), order.sz,
                            maker=False)
        return order

    def _liquidate_isolated(self, pos: SimPosition) -> None:
        margin = pos.margin
        order = self._liquidation_order(pos)
        self._penalty(pos, -(margin + order.pnl + order.fee))

    def _liquidate_cross(self, maintenance: Decimal) -> None:
        for order in [o for o in self.orders.live.values() if o.td_mode == "cross"]:
            self.matching.cancel(order, "6")
        closed = [p for p in self.positions.by_key.values() if p.mgn_mode == "cross"]
        for pos in closed:
            self._liquidation_order(pos)
        left = self.account.figures().cross_equity
        self._penalty(max(closed, key=lambda p: abs(p.qty) if p.qty else p.pnl.copy_abs()),
                      -left if left < 0 else -min(maintenance, left))

    def _penalty(self, pos: SimPosition, amount: Decimal) -> None:
        amount = money(amount)
        pos.liq_penalty += amount
        self.account.book("liquidation", amount)
        log = self.positions.closed_log
        if log and log[-1].pos_id == pos.pos_id:  # the liquidated position was just recorded as closed
            log[-1].pnl += amount
        self.events.position(pos)
