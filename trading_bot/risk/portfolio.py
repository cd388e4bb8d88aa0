"""Rules about the book the new order joins: no opposing or duplicate position in the same
instrument, at most N open positions, total exposure, and no same-direction position in an
instrument whose 1H returns move with the new one (Pearson r above the limit).

Pending entry orders count as positions-to-be: they become exposure when they fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from trading_bot.domain.orders import Order, Position, PositionSide
from trading_bot.risk.correlation import CorrelationUnavailable, returns_correlation
from trading_bot.risk.limits import CORRELATION_RETURNS, RiskLimits
from trading_bot.risk.market import MarketView
from trading_bot.risk.verdict import Finding, Rule, SizedOrder

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Holding:
    """An open position or a pending entry, valued in USDT."""

    inst_id: str
    side: PositionSide
    notional: Decimal
    pending: bool

    @property
    def label(self) -> str:
        return f"{'pending ' if self.pending else ''}{self.side} {self.inst_id}"


def _order_side(order: Order) -> PositionSide:
    if order.pos_side in ("long", "short"):
        return order.pos_side
    return "long" if order.side == "buy" else "short"


def holdings(positions: Sequence[Position], market: MarketView) -> list[Holding] | Finding:
    """Every position (valued at its instrument's mark) and pending entry (at the higher of its
    price and the mark); a Finding when something cannot be valued."""
    result: list[Holding] = []
    for position in positions:
        if position.size == 0:
            continue
        view = market.get(position.inst_id)
        if view is None:
            return _unvalued(position.inst_id)
        notional = view.instrument.notional(position.size, view.mark_price)
        result.append(Holding(position.inst_id, position.side, notional, pending=False))
    for order in market.pending_orders:
        remaining = order.size - order.filled
        if order.reduce_only or remaining <= 0:
            continue
        view = market.get(order.inst_id)
        if view is None:
            return _unvalued(order.inst_id)
        price = max(order.price or Decimal(0), view.mark_price)
        result.append(Holding(order.inst_id, _order_side(order), view.instrument.notional(remaining, price), True))
    return result


def _unvalued(inst_id: str) -> Finding:
    return Finding(rule=Rule.UNKNOWN_INSTRUMENT,
                   reason=f"{inst_id} is held but the market view has no price or specification for it",
                   numbers={"inst_id": inst_id})


def same_instrument(order: SizedOrder, book: list[Holding]) -> Finding | None:
    for held in book:
        if held.inst_id != order.inst_id:
            continue
        if held.side != order.side:
            return Finding(rule=Rule.OPPOSING_POSITION,
                           reason=f"{held.label} is open: close it before opening {order.side}",
                           numbers={"held_side": held.side, "order_side": order.side})
        return Finding(rule=Rule.DUPLICATE_POSITION,
                       reason=f"{held.label} is already open (one position per instrument and side)",
                       numbers={"held_notional": held.notional})
    return None


def open_positions(order: SizedOrder, book: list[Holding], limits: RiskLimits) -> Finding | None:
    after = len({(h.inst_id, h.side) for h in book} | {(order.inst_id, order.side)})
    if after <= limits.max_open_positions:
        return None
    return Finding(rule=Rule.OPEN_POSITIONS,
                   reason=f"this would be position {after}; at most {limits.max_open_positions} may be open",
                   numbers={"open_after": after, "limit": limits.max_open_positions})


def total_exposure(order: SizedOrder, book: list[Holding], equity: Decimal, limits: RiskLimits) -> Finding | None:
    held = sum((h.notional for h in book), Decimal(0))
    total = held + order.notional
    if total * HUNDRED <= limits.max_total_exposure_pct * equity:
        return None
    pct = total / equity * HUNDRED
    return Finding(rule=Rule.TOTAL_EXPOSURE,
                   reason=f"open {held:.2f} + new {order.notional:.2f} USDT is {pct:.3f} % of equity "
                          f"(limit {limits.max_total_exposure_pct} %)",
                   numbers={"held_notional": held, "order_notional": order.notional, "equity": equity,
                            "exposure_pct": pct, "limit_pct": limits.max_total_exposure_pct})


def too_correlated(r: float, limits: RiskLimits) -> bool:
    """Strictly above the limit rejects (the issue's "r > 0.8"); exactly at it passes."""
    return r > limits.max_correlation


def correlation(order: SizedOrder, book: list[Holding], market: MarketView, limits: RiskLimits) -> Finding | None:
    """Same-direction holdings in other instruments must not correlate above the limit; when r cannot
    be measured (too few common bars) the order is rejected: the rule fails closed."""
    new = market.get(order.inst_id)
    assert new is not None
    for held in book:
        if held.side != order.side or held.inst_id == order.inst_id:
            continue
        other = market.get(held.inst_id)
        assert other is not None
        try:
            r = returns_correlation(new.closes_1h, other.closes_1h, CORRELATION_RETURNS)
        except CorrelationUnavailable as exc:
            return Finding(rule=Rule.CORRELATION,
                           reason=f"cannot rule out correlation with {held.label}: {exc}",
                           numbers={"with": held.inst_id})
        if too_correlated(r, limits):
            return Finding(rule=Rule.CORRELATION,
                           reason=f"{held.label} moves with {order.inst_id} (r = {r:.3f} over "
                                  f"{CORRELATION_RETURNS} 1H returns, limit {limits.max_correlation})",
                           numbers={"with": held.inst_id, "r": r, "limit": limits.max_correlation})
    return None
