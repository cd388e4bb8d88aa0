"""Liquidation and funding settlement.

Isolated: a position is liquidated when its margin plus unrealised PnL falls to its maintenance
margin; the trader loses the position's whole margin (the rest of it is the liquidation penalty;
in a gap past bankruptcy the insurance fund pays the difference, booked as a positive penalty).
Cross: when the equity backing cross positions falls to their maintenance margin, every cross
position is closed; the maintenance margin left is forfeited and a deficit is covered likewise.
Either way the account's cash never goes below the isolated margins it holds.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from trading_bot.exchange.sim.accounting import INF, cross_line, isolated_line, mmr, upl
from trading_bot.exchange.sim.orders import ZERO, SimOrder, SimPosition, money

if TYPE_CHECKING:
    from trading_bot.exchange.sim.engine import Engine


class RiskMixin:
    def liquidation_levels(self: Engine, inst_id: str) -> tuple[float, float]:  # type: ignore[misc]
        down, up = -INF, INF
        inst = self.instruments[inst_id]
        mine = self.positions_of(inst_id)
        for pos in mine:
            if pos.mgn_mode == "isolated":
                d, u = isolated_line(pos, inst).threshold()
                down, up = max(down, d), min(up, u)
        if any(p.mgn_mode == "cross" for p in mine):
            mark = self.mark(inst_id)
            d, u = cross_line(self.figures(), [(p, inst, mark) for p in mine]).threshold()
            down, up = max(down, d), min(up, u)
        return down, up

    def liquidate_if_needed(self: Engine, inst_id: str, price: float) -> bool:  # type: ignore[misc]
        fired = False
        inst = self.instruments[inst_id]
        mark = self.mark(inst_id)
        for pos in self.positions_of(inst_id):
            if pos.mgn_mode == "isolated" and pos.margin + upl(pos, inst, mark) <= mmr(pos, inst, mark):
                self._liquidate_isolated(pos)
                fired = True
        if any(p.mgn_mode == "cross" for p in self.positions.values()):
            figures = self.figures()
            if figures.cross_equity <= figures.cross_mmr:
                self._liquidate_cross(figures.cross_mmr)
                fired = True
        return fired

    def _liquidation_order(self: Engine, pos: SimPosition) -> SimOrder:  # type: ignore[misc]
        for order in [o for o in self.live.values() if o.inst_id == pos.inst_id and o.td_mode == pos.mgn_mode]:
            self._cancel(order, "6")
        order = SimOrder(
            ord_id=self.ids.next("order"), cl_ord_id="", tag="", inst_id=pos.inst_id, td_mode=pos.mgn_mode,
            side="sell" if pos.qty > 0 else "buy", pos_side=pos.pos_side, ord_type="market", sz=abs(pos.qty),
            px=None, reduce_only=True, lever=pos.lever, c_time=self.now_ms, u_time=self.now_ms,
            category="full_liquidation",
        )
        self._remember(order)
        self.fill(order, self.instruments[pos.inst_id], self.mark(pos.inst_id), order.sz, maker=False)
        return order

    def _liquidate_isolated(self: Engine, pos: SimPosition) -> None:  # type: ignore[misc]
        margin = pos.margin
        order = self._liquidation_order(pos)
        self._penalty(pos, -(margin + order.pnl + order.fee))

    def _liquidate_cross(self: Engine, maintenance: Decimal) -> None:  # type: ignore[misc]
        for order in [o for o in self.live.values() if o.td_mode == "cross"]:
            self._cancel(order, "6")
        closed = [p for p in self.iter_positions() if p.mgn_mode == "cross"]
        for pos in closed:
            self._liquidation_order(pos)
        left = self.figures().cross_equity
        self._penalty(max(closed, key=lambda p: abs(p.qty) if p.qty else p.pnl.copy_abs()),
                      -left if left < 0 else -min(maintenance, left))

    def _penalty(self: Engine, pos: SimPosition, amount: Decimal) -> None:  # type: ignore[misc]
        amount = money(amount)
        pos.liq_penalty += amount
        self.book_cash("liquidation", amount)
        log = self.closed_log
        if log and log[-1].pos_id == pos.pos_id:  # the liquidated position was just recorded as closed
            log[-1].pnl += amount
        self.emit("position", pos)

    def settle_funding(self: Engine, inst_id: str, rate: Decimal) -> Decimal:  # type: ignore[misc]
        """Pay or receive funding on every position of the instrument; returns the net amount."""
        inst = self.instruments[inst_id]
        mark = self.mark(inst_id)
        total = ZERO
        for pos in self.positions_of(inst_id):
            pay = money(-rate * pos.qty * inst.ct_val * mark)
            pos.funding_fee += pay
            if pos.mgn_mode == "isolated":
                pos.margin += pay
            pos.u_time = self.now_ms
            self.book_cash("funding", pay)
            self.emit("position", pos)
            total += pay
        self.check(inst_id)
        return total
