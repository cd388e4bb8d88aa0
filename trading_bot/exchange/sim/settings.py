"""The account's trading settings: the position mode (net, or long/short) and the leverage per
instrument, margin mode and, for isolated margin in long/short mode, side; with OKX's checks of a
change. Whether positions or orders in the way forbid a change is for the engine to find out.
"""

from __future__ import annotations

from decimal import Decimal

from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import Reject, param_error

PositionKey = tuple[str, str, str]  # (instId, mgnMode, posSide)


class AccountSettings:
    def __init__(self, default_lever: Decimal) -> None:
        self.pos_mode = "net_mode"
        self.levers: dict[PositionKey, Decimal] = {}
        self.default_lever = default_lever

    @property
    def net(self) -> bool:
        return self.pos_mode == "net_mode"

    def pos_side(self, requested: str) -> str:
        """The posSide an order takes: `net` in net mode, else the one it asked for."""
        return "net" if self.net else requested

    def lever_for(self, inst_id: str, td_mode: str, pos_side: str) -> Decimal:
        side = pos_side if td_mode == "isolated" and self.pos_mode == "long_short_mode" else ""
        return self.levers.get((inst_id, td_mode, side), self.default_lever)

    def position_key(self, inst_id: str, td_mode: str, pos_side: str) -> PositionKey:
        return (inst_id, td_mode, "net" if self.pos_mode == "net_mode" else pos_side)

    def set_position_mode(self, mode: str, busy: bool) -> None:
        """`busy`: positions, orders or algo orders are open (OKX refuses to switch then)."""
        if mode not in ("net_mode", "long_short_mode"):
            raise param_error("posMode")
        if mode != self.pos_mode and busy:
            raise Reject("59000", "Settings failed. Close any open positions or orders before modifying settings.")
        self.pos_mode = mode

    def check_leverage(self, inst: SimInstrument, lever: Decimal, mgn_mode: str, pos_side: str,
                       isolated_orders: bool) -> None:
        """A set-leverage request, in OKX's order of checks; `isolated_orders`: isolated orders rest
        on the instrument (they would keep the margin of the old leverage)."""
        if mgn_mode not in ("cross", "isolated"):
            raise param_error("mgnMode")
        exponent = lever.as_tuple().exponent
        if lever < 1 or not isinstance(exponent, int) or exponent < -2:  # at most two decimals
            raise param_error("lever")
        if lever > inst.max_lever:
            raise Reject("59102", "Leverage exceeds the maximum limit. Please lower the leverage.")
        per_side = mgn_mode == "isolated" and self.pos_mode == "long_short_mode"
        if (pos_side and not per_side) or (per_side and pos_side not in ("long", "short")):
            raise param_error("posSide")
        if mgn_mode == "isolated" and isolated_orders:
            raise Reject("59101", "Leverage can't be modified. Please cancel all pending isolated margin orders "
                                  "before adjusting the leverage.")
