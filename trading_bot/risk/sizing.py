"""Turn an opening decision into the exact order to check: which entry price the distances are
measured from, which price the notional is valued at, contracts rounded down to lotSz and prices
rounded to tickSz. Every later rule checks this order, and execute sends this order."""

from __future__ import annotations

from decimal import ROUND_UP, Decimal

from trading_bot.domain.decision import Decision
from trading_bot.risk.limits import RiskLimits
from trading_bot.risk.market import InstrumentMarket
from trading_bot.risk.verdict import Finding, Rule, SizedOrder

HUNDRED = Decimal(100)
MARGIN_PLACES = Decimal("1e-8")


def pct_away(price: Decimal, reference: Decimal) -> Decimal:
    return abs(price - reference) / reference * HUNDRED


def entry_deviation(decision: Decision, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    """A limit price (after tick rounding) or a market order's reference price must be within the
    deviation limit of the mark price; exactly at the limit passes."""
    if decision.entry_type == "limit" and decision.entry_price is None:
        return Finding(rule=Rule.ENTRY_DEVIATION, reason="a limit entry needs an entry price")
    if decision.entry_price is None:
        return None
    price = view.instrument.round_price(decision.entry_price) if decision.entry_type == "limit" else decision.entry_price
    if abs(price - view.mark_price) * HUNDRED <= limits.max_entry_deviation_pct * view.mark_price:
        return None
    away = pct_away(price, view.mark_price)
    return Finding(
        rule=Rule.ENTRY_DEVIATION,
        reason=f"entry {price} is {away:.3f} % from the mark price {view.mark_price} "
               f"(limit {limits.max_entry_deviation_pct} %)",
        numbers={"entry_price": price, "mark_price": view.mark_price, "deviation_pct": away,
                 "limit_pct": limits.max_entry_deviation_pct},
    )


def protection_present(decision: Decision) -> Finding | None:
    if decision.stop_loss is None:
        return Finding(rule=Rule.STOP_LOSS_MISSING, reason="every entry needs a stop-loss")
    if decision.take_profit is None:
        return Finding(rule=Rule.TAKE_PROFIT_MISSING,
                       reason="every entry needs a take-profit (reward:risk cannot be measured without one)")
    return None


def size_order(decision: Decision, view: InstrumentMarket, equity: Decimal) -> SizedOrder | Finding:
    """The order for a decision that passed the number, deviation and protection checks."""
    spec = view.instrument
    side = decision.action.position_side
    assert side is not None and decision.stop_loss is not None and decision.take_profit is not None
    limit_px = spec.round_price(decision.entry_price) if decision.entry_type == "limit" and decision.entry_price else None
    if limit_px is not None:
        entry_ref = limit_px  # a limit fills at its price or better
    else:  # a market order fills around the current price: take the worse of mark and last
        entry_ref = max(view.mark_price, view.last_price) if side == "long" else min(view.mark_price, view.last_price)
    valuation_px = max(view.mark_price, view.last_price, limit_px or Decimal(0))
    target = equity * decision.size_pct / HUNDRED
    contracts = spec.contracts_for_notional(target, valuation_px)
    if contracts <= 0 or contracts < spec.min_sz:
        return Finding(
            rule=Rule.SIZE_TOO_SMALL,
            reason=f"{decision.size_pct} % of {equity} USDT is {contracts} contracts after rounding down to "
                   f"lotSz {spec.lot_sz}; the minimum is {spec.min_sz}",
            numbers={"target_notional": target, "contracts": contracts, "lot_sz": spec.lot_sz, "min_sz": spec.min_sz},
        )
    notional = spec.notional(contracts, valuation_px)
    return SizedOrder(
        inst_id=decision.inst_id,
        side=side,
        ord_type=decision.entry_type,
        contracts=contracts,
        price=limit_px,
        stop_loss=spec.round_price(decision.stop_loss),
        take_profit=spec.round_price(decision.take_profit),
        leverage=decision.leverage,
        entry_ref=entry_ref,
        valuation_px=valuation_px,
        notional=notional,
        margin=(notional / decision.leverage).quantize(MARGIN_PLACES, rounding=ROUND_UP),  # informative
    )
