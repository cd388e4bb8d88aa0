"""Engine positions as the domain's `Position` (for the in-process exchange)."""

from __future__ import annotations

from trading_bot.clock import from_ms
from trading_bot.domain.orders import Position
from trading_bot.exchange.sim.accounting import imr, isolated_liq_px, upl
from trading_bot.exchange.sim.engine import Engine
from trading_bot.exchange.sim.orders import SimPosition


def to_position(engine: Engine, pos: SimPosition) -> Position:
    inst = engine.quotes.instruments[pos.inst_id]
    mark = engine.quotes.mark(pos.inst_id)
    isolated = pos.mgn_mode == "isolated"
    return Position(
        inst_id=pos.inst_id, side="long" if pos.qty > 0 else "short", pos_side=pos.pos_side,  # type: ignore[arg-type]
        mgn_mode=pos.mgn_mode, size=abs(pos.qty), avg_px=pos.avg_px, mark_px=mark,  # type: ignore[arg-type]
        upl=upl(pos, inst, mark), realized_pnl=pos.realized_pnl, fee=pos.fee, funding_fee=pos.funding_fee,
        margin=pos.margin if isolated else None, imr=None if isolated else imr(pos, inst, mark),
        liq_px=isolated_liq_px(pos, inst) if isolated else None, leverage=pos.lever, pos_id=pos.pos_id,
        created_at=from_ms(pos.c_time), updated_at=from_ms(pos.u_time),
    )
