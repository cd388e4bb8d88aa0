"""Number hygiene before any arithmetic: NaN, infinity, negative and absurdly large values are
caught here and named, so later rules compute only with finite numbers in a sane range."""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.risk.market import InstrumentMarket, MarketView
from trading_bot.risk.verdict import Finding, Rule

# Bounds that no real USDT account, price, size or instrument specification comes near. Keeping
# every input inside them also keeps the gate's Decimal products exact (see gate.GATE_CONTEXT).
MAX_SANE = Decimal("1e15")
MIN_SANE = Decimal("1e-12")  # smallest non-zero magnitude
MAX_DIGITS = 30  # significant digits

Named = tuple[str, Decimal | float | int | None]


def _float_problem(value: float, positive: bool) -> str | None:
    if math.isnan(value):
        return "is NaN"
    if math.isinf(value):
        return "is infinite"
    if value < 0:
        return "is negative"
    if positive and value == 0:
        return "must be above zero"
    return None


def _problem(value: Decimal | float | int, positive: bool) -> str | None:
    if isinstance(value, float):
        return _float_problem(value, positive)
    value = Decimal(value)
    if value.is_nan():
        return "is NaN"
    if value.is_infinite():
        return "is infinite"
    if value < 0:
        return "is negative"
    if value == 0:
        return "must be above zero" if positive else None
    if value > MAX_SANE:
        return f"is above {MAX_SANE:.0E}"
    if value < MIN_SANE:
        return f"is below {MIN_SANE:.0E}"
    if _significant_digits(value) > MAX_DIGITS:
        return f"has more than {MAX_DIGITS} significant digits"
    return None


def _significant_digits(value: Decimal) -> int:
    """Digits without trailing zeros (computed by hand: normalize() would round to the context)."""
    digits = value.as_tuple().digits
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:
        end -= 1
    return end


def first_bad(items: Iterable[Named], positive: bool = False, subject: str = "") -> Finding | None:
    """The first value that is NaN, infinite, negative, too large (or zero when `positive`)."""
    for name, value in items:
        if value is None:
            continue
        problem = _problem(value, positive)
        if problem:
            label = f"{subject} {name}".strip()
            return Finding(rule=Rule.INVALID_NUMBER, reason=f"{label} {problem} ({value})", numbers={name: str(value)})
    return None


def check_decision(decision: Decision) -> Finding | None:
    return first_bad(
        [("size_pct", decision.size_pct), ("leverage", decision.leverage), ("confidence", decision.confidence)],
        subject="decision",
    ) or first_bad(
        [("entry_price", decision.entry_price), ("stop_loss", decision.stop_loss),
         ("take_profit", decision.take_profit)],
        positive=True,
        subject="decision",
    )


def check_account(account: Account) -> Finding | None:
    return first_bad([("equity", account.equity)], positive=True, subject="account") or first_bad(
        [("available", account.available)], subject="account"
    )


def check_positions(positions: Iterable[Position]) -> Finding | None:
    for position in positions:
        found = first_bad([("size", position.size)], subject=f"{position.inst_id} position") or first_bad(
            [("avg_px", position.avg_px)], positive=True, subject=f"{position.inst_id} position"
        )
        if found:
            return found
    return None


def check_instrument_market(view: InstrumentMarket) -> Finding | None:
    spec = view.instrument
    return first_bad(
        [("ct_val", spec.ct_val), ("lot_sz", spec.lot_sz), ("min_sz", spec.min_sz), ("tick_sz", spec.tick_sz),
         ("mark_price", view.mark_price), ("last_price", view.last_price),
         ("max_mkt_sz", spec.max_mkt_sz), ("max_lmt_sz", spec.max_lmt_sz)],
        positive=True,
        subject=spec.inst_id,
    ) or _bad_close(view)


def _bad_close(view: InstrumentMarket) -> Finding | None:
    """Closes only feed the (float) correlation, so finite and positive is all they must be;
    checked in one cheap pass because there are a hundred or more per instrument."""
    for ts, close in view.closes_1h:
        if not (isinstance(close, Decimal) and close.is_finite() and close > 0):
            return first_bad([(f"1H close at {ts:%Y-%m-%d %H:%M}", close)], positive=True,
                             subject=view.instrument.inst_id) or Finding(
                rule=Rule.INVALID_NUMBER, reason=f"{view.instrument.inst_id} 1H close at {ts} is not a number")
    return None


def check_market(market: MarketView) -> Finding | None:
    for view in market.instruments.values():
        found = check_instrument_market(view)
        if found:
            return found
    for order in market.pending_orders:
        found = first_bad([("size", order.size), ("filled", order.filled), ("price", order.price)],
                          subject=f"pending order {order.ord_id}")
        if found:
            return found
    return None
