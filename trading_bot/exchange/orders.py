"""Order placement that is safe to retry, on any `Exchange` (OKX REST, the simulator, backtests).

OKX does not deduplicate finished orders: resending a clOrdId whose first attempt timed out but
filled opens a second position. So every placement looks the clOrdId up first, and after an
unknown outcome (timeout, 50004, 5xx) it polls the lookup before deciding anything. The clOrdId
is derived from the decision (cycle) id, so a redelivered Celery task finds its own order.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from trading_bot.domain.orders import (
    AlgoOrder,
    AlgoRequest,
    MarginMode,
    Order,
    OrderAck,
    OrderRequest,
    Position,
    closing_side,
)
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.errors import DuplicateOrder, NotFound, OutcomeUnknown
from trading_bot.logs import get_logger

log = get_logger(__name__)
CL_ORD_ID_MAX = 32


def cl_ord_id_for(decision_id: str, purpose: str = "e") -> str:
    """A deterministic OKX clOrdId (1-32 letters/digits): `purpose` + the id when it fits and is
    already alphanumeric, else + a hash of it. e = entry, c = close, s = stop, t = take-profit."""
    if not re.fullmatch(r"[a-z]", purpose):
        raise ValueError("purpose must be one lower-case letter")
    if re.fullmatch(r"[A-Za-z0-9]+", decision_id) and len(decision_id) < CL_ORD_ID_MAX:
        return purpose + decision_id
    return purpose + hashlib.sha256(decision_id.encode()).hexdigest()[: CL_ORD_ID_MAX - 1]


@dataclass(frozen=True)
class LookupPolicy:
    attempts: int = 5  # lookups after an unknown outcome before concluding "not placed"
    delay_seconds: float = 1.0
    placements: int = 2  # sends of the same clOrdId at most (the second only after lookups found nothing)
    sleep: Callable[[float], None] = time.sleep


def place_order_safely(exchange: Exchange, request: OrderRequest, policy: LookupPolicy | None = None) -> OrderAck:
    """Place `request` at most once: an order that already exists under its clOrdId is returned,
    an unknown outcome is resolved by looking the clOrdId up (never by resending blindly)."""
    policy = policy or LookupPolicy()
    existing = _lookup(exchange, request)
    if existing is not None:
        log.info("order_exists", cl_ord_id=request.cl_ord_id, ord_id=existing.ord_id, state=existing.state)
        return _ack(existing)
    for sent in range(1, policy.placements + 1):
        try:
            return exchange.place_order(request)
        except DuplicateOrder:
            pass  # an earlier send arrived and is pending: find it below
        except OutcomeUnknown as exc:
            log.warning("order_outcome_unknown", cl_ord_id=request.cl_ord_id, error=str(exc), send=sent)
        found = _poll(exchange, request, policy)
        if found is not None:
            return _ack(found)
        log.warning("order_not_found_after_unknown_outcome", cl_ord_id=request.cl_ord_id, send=sent)
    raise OutcomeUnknown("unresolved", f"order {request.cl_ord_id} could not be confirmed or placed",
                         endpoint="place_order_safely")


def _lookup(exchange: Exchange, request: OrderRequest) -> Order | None:
    return exchange.get_order(request.inst_id, cl_ord_id=request.cl_ord_id)


def _poll(exchange: Exchange, request: OrderRequest, policy: LookupPolicy) -> Order | None:
    for attempt in range(policy.attempts):
        found = _lookup(exchange, request)
        if found is not None:
            return found
        if attempt + 1 < policy.attempts:
            policy.sleep(policy.delay_seconds)
    return None


def _ack(order: Order) -> OrderAck:
    return OrderAck(ord_id=order.ord_id, cl_ord_id=order.cl_ord_id, ts=order.created_at)


def enter(exchange: Exchange, request: OrderRequest, leverage: Decimal, policy: LookupPolicy | None = None) -> OrderAck:
    """Set the leverage first, then place the entry (with its attached SL/TP) at most once."""
    exchange.set_leverage(request.inst_id, leverage, request.td_mode)
    return place_order_safely(exchange, request, policy)


def cancel(exchange: Exchange, inst_id: str, cl_ord_id: str) -> bool:
    """Cancel by clOrdId; False when it was already filled, cancelled or unknown (51400/51603)."""
    try:
        exchange.cancel_order(inst_id, cl_ord_id=cl_ord_id)
    except NotFound:
        return False
    return True


def close(exchange: Exchange, position: Position, cl_ord_id: str | None = None) -> None:
    """Market-close the whole position, then cancel the protective orders left for it."""
    exchange.close_position(position.inst_id, position.pos_side, position.mgn_mode, cl_ord_id)
    leftovers = [a.algo_id for a in protective_algos(exchange, position)]
    if leftovers:
        exchange.cancel_algo_orders(position.inst_id, leftovers)


def protective_algos(exchange: Exchange, position: Position) -> list[AlgoOrder]:
    """Pending algo orders that would close (part of) this position."""
    side = closing_side(position.side)
    return [
        algo for algo in exchange.pending_algo_orders(position.inst_id)
        if algo.side == side and algo.pos_side == position.pos_side
    ]


def amend_protection(
    exchange: Exchange, position: Position, stop_loss: Decimal, take_profit: Decimal | None,
    mgn_mode: MarginMode | None = None, algo_cl_ord_id: str | None = None,
) -> str:
    """Move SL/TP: place the new protective order first, then cancel the old ones, so the
    position is never without a stop in between. Returns the new algoId."""
    old = [a.algo_id for a in protective_algos(exchange, position)]
    algo_id = exchange.place_algo_order(AlgoRequest(
        inst_id=position.inst_id, side=closing_side(position.side), pos_side=position.pos_side,
        td_mode=mgn_mode or position.mgn_mode, sl_trigger_px=stop_loss, tp_trigger_px=take_profit,
        algo_cl_ord_id=algo_cl_ord_id,
    ))
    if old:
        exchange.cancel_algo_orders(position.inst_id, old)
    return algo_id
