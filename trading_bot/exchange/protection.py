"""Every open position must have its stop-loss on the exchange (DESIGN §5.9: losing the
connection never leaves a position without its stop). This module checks that and restores a
missing stop; when the stop level is already crossed the position is closed at market instead."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from trading_bot.domain.market import Instrument
from trading_bot.domain.orders import AlgoOrder, AlgoRequest, Position, closing_side
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.errors import OutcomeUnknown, TriggerWrongSide
from trading_bot.exchange.orders import cl_ord_id_for, close
from trading_bot.logs import get_logger

log = get_logger(__name__)
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Protection:
    """What we know a position's protective levels should be (from the journal), if anything."""

    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None


@dataclass(frozen=True)
class Repair:
    inst_id: str
    side: str
    action: Literal["placed_stop", "closed_position"]
    stop_px: Decimal
    take_profit: Decimal | None
    from_journal: bool  # False: no known stop, the fallback distance was used
    detail: str


def closes(algo: AlgoOrder, position: Position) -> bool:
    return (algo.inst_id == position.inst_id and algo.side == closing_side(position.side)
            and algo.pos_side == position.pos_side)


def has_stop(algos: list[AlgoOrder], position: Position) -> bool:
    return any(closes(a, position) and a.sl_trigger_px is not None for a in algos)


def has_take_profit(algos: list[AlgoOrder], position: Position) -> bool:
    return any(closes(a, position) and a.tp_trigger_px is not None for a in algos)


def fallback_stop(position: Position, instrument: Instrument, pct: Decimal) -> Decimal:
    """`pct` % beyond the entry price against the position, on the tick grid."""
    factor = (1 - pct / HUNDRED) if position.side == "long" else (1 + pct / HUNDRED)
    return instrument.round_price(position.avg_px * factor)


def restore_stop(
    exchange: Exchange, position: Position, instrument: Instrument, known: Protection,
    fallback_pct: Decimal, take_profit_present: bool,
) -> Repair:
    """Place a stop (with the known TP when the exchange has none) for the whole position."""
    from_journal = known.stop_loss is not None
    stop = instrument.round_price(known.stop_loss) if known.stop_loss is not None else (
        fallback_stop(position, instrument, fallback_pct))
    tp = None if take_profit_present or known.take_profit is None else instrument.round_price(known.take_profit)
    algo_cl_ord_id = cl_ord_id_for(f"{position.pos_id or position.inst_id}-{position.side}-{stop}", "s")
    request = AlgoRequest(
        inst_id=position.inst_id, side=closing_side(position.side), pos_side=position.pos_side,
        td_mode=position.mgn_mode, sl_trigger_px=stop, tp_trigger_px=tp, algo_cl_ord_id=algo_cl_ord_id,
    )
    try:
        algo_id = _place(exchange, request)
    except TriggerWrongSide as exc:
        close(exchange, position, cl_ord_id_for(algo_cl_ord_id, "c"))
        return Repair(position.inst_id, position.side, "closed_position", stop, tp, from_journal,
                      f"stop {stop} is already crossed ({exc.code}): closed at market")
    return Repair(position.inst_id, position.side, "placed_stop", stop, tp, from_journal, f"algo {algo_id}")


def _place(exchange: Exchange, request: AlgoRequest) -> str:
    try:
        return exchange.place_algo_order(request)
    except OutcomeUnknown:
        for algo in exchange.pending_algo_orders(request.inst_id):
            if algo.algo_cl_ord_id == request.algo_cl_ord_id:
                return algo.algo_id
        raise
