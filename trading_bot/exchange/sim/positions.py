"""The account's positions, by (instId, mgnMode, posSide), and what a fill does to them: the average
entry, the PnL realised by the reducing part, isolated margin, flips, and leverage changes. A
position that goes to zero is dropped, its protecting algo orders are cancelled, and (when
`closed_log` is on, for in-process readers) a record says what it made and why it closed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from trading_bot.exchange.sim import accounting
from trading_bot.exchange.sim.algos import Algos
from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import ZERO, ClosedPosition, Ids, Reject, SimOrder, SimPosition, price_q
from trading_bot.exchange.sim.quotes import Quotes
from trading_bot.exchange.sim.settings import AccountSettings, PositionKey


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Positions:
    quotes: Quotes
    settings: AccountSettings
    ids: Ids
    events: EventLog
    algos: Algos
    by_key: dict[PositionKey, SimPosition] = field(init=False, default_factory=dict)  # to read; parts change it
    closed_log: list[ClosedPosition] | None = field(init=False, default=None)  # in-process readers turn it on

    def of(self, inst_id: str) -> list[SimPosition]:
        return [p for p in self.by_key.values() if p.inst_id == inst_id]

    def restore(self, positions: list[SimPosition]) -> None:
        self.by_key = {p.key: p for p in positions}

    # --- what an order can close or open --------------------------------------------------------
    def closing_qty(self, order_side: str, inst_id: str, td_mode: str, pos_side: str) -> Decimal | None:
        """Contracts this order can close (None when it opens: long/short mode opening orders)."""
        pos = self.by_key.get(self.settings.position_key(inst_id, td_mode, pos_side))
        if pos_side == "net":
            if pos is None or pos.qty == 0:
                return ZERO
            return abs(pos.qty) if (pos.qty > 0) == (order_side == "sell") else ZERO
        opening = (order_side == "buy") == (pos_side == "long")
        return None if opening else (abs(pos.qty) if pos else ZERO)

    def opening_qty(self, side: str, sz: Decimal, inst_id: str, td_mode: str, pos_side: str) -> Decimal:
        closing = self.closing_qty(side, inst_id, td_mode, pos_side)
        return sz if closing is None else max(ZERO, sz - closing)

    def held(self, inst_id: str, td_mode: str, pos_side: str) -> SimPosition | None:
        """The open position an order on this instrument, margin mode and side would reduce."""
        pos = self.by_key.get(self.settings.position_key(inst_id, td_mode, pos_side))
        return pos if pos is not None and pos.qty else None

    # --- fills --------------------------------------------------------------------------------
    def for_order(self, order: SimOrder) -> SimPosition:
        """The position the order's fill moves, opened (flat) when there is none."""
        key = self.settings.position_key(order.inst_id, order.td_mode, order.pos_side)
        pos = self.by_key.get(key)
        if pos is None:
            now = self.quotes.now_ms
            pos = SimPosition(order.inst_id, order.td_mode, key[2], self.ids.next("pos"), order.lever, now, now)
            self.by_key[key] = pos
        return pos

    def apply(self, pos: SimPosition, delta: Decimal, px: Decimal, lever: Decimal, inst: SimInstrument) -> Decimal:
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
                self._close(pos, None, exit_px=px)  # a flip: the old position ends here, a new one opens
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

    def settle(self, pos: SimPosition, order: SimOrder) -> None:
        """After `order`'s fill has been pushed: a position it left flat is closed and dropped."""
        if pos.qty == 0 and self.by_key.get(pos.key) is pos:
            self._close(pos, order, announce=False)  # the fill has just pushed the flat position
            del self.by_key[pos.key]

    def _close(self, pos: SimPosition, order: SimOrder | None, announce: bool = True,
               exit_px: Decimal | None = None) -> None:
        pos.u_time = self.quotes.now_ms
        pos.margin = ZERO
        if announce:
            self.events.position(pos)
        if self.closed_log is not None:
            self.closed_log.append(self._closed_record(pos, order, exit_px))
        self.algos.cancel_protecting(pos)

    def _closed_record(self, pos: SimPosition, order: SimOrder | None, exit_px: Decimal | None) -> ClosedPosition:
        if exit_px is None and order is not None:
            exit_px = order.fill_px
        return ClosedPosition(
            inst_id=pos.inst_id, pos_side=pos.pos_side, side="long" if pos.was_long else "short",
            pos_id=pos.pos_id, size=pos.peak_qty, entry_px=pos.avg_px, exit_px=exit_px,
            pnl=pos.pnl + pos.liq_penalty, fee=pos.fee, funding=pos.funding_fee, opened_ms=pos.c_time,
            closed_ms=self.quotes.now_ms, reason=self._close_reason(order),
        )

    def _close_reason(self, order: SimOrder | None) -> str:
        if order is None:
            return "manual"
        if order.category == "full_liquidation":
            return "liquidation"
        algo = self.algos.find(order.algo_id) if order.algo_id else None
        if algo is not None:
            return {"tp": "take_profit", "sl": "stop_loss"}.get(algo.actual_side, "manual")
        return "manual"

    def _reopen(self, pos: SimPosition) -> None:
        pos.pos_id, pos.c_time = self.ids.next("pos"), self.quotes.now_ms
        pos.pnl = pos.fee = pos.funding_fee = pos.liq_penalty = ZERO
        pos.margin = ZERO
        pos.peak_qty = ZERO

    # --- leverage -----------------------------------------------------------------------------
    def relever(self, inst: SimInstrument, mgn_mode: str, pos_side: str, lever: Decimal,
                avail_eq: Callable[[], Decimal]) -> None:
        """Move the positions a leverage change covers to `lever`, if the account can afford it."""
        affected = [p for p in self.of(inst.inst_id) if p.mgn_mode == mgn_mode and (not pos_side or p.pos_side == pos_side)]
        mark = self.quotes.mark(inst.inst_id)
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
        if extra > 0 and extra > avail_eq():
            raise Reject("59103", "Account margin is insufficient and leverage is too low. Please increase the leverage.")
        for pos in affected:
            pos.lever = lever
            if mgn_mode == "isolated":
                pos.margin = abs(pos.qty) * inst.ct_val * pos.avg_px / lever
            self.events.position(pos)
