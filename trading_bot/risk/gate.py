"""The risk gate: a pure function from a decision and everything it depends on to a Verdict.

`check(decision, account, positions, bot_state, market, now)` never raises and never does I/O.
HOLD and CLOSE are always approved, in every state. An entry passes only when every rule passes;
the first rule that objects decides (the order below), and an approved verdict carries the exact
order that was checked. Account-level tripwires (drawdown, daily loss, losing streak) are reported
as an `Escalation` on any verdict, for the state service to apply. Units and boundaries: limits.py."""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.orders import Account, Position
from trading_bot.risk import order_rules, portfolio, sanity, sizing
from trading_bot.risk.account_rules import assess_account, daily_loss_pct, drawdown_pct
from trading_bot.risk.limits import (
    HARD_LIMITS,
    MAX_MARKET_DATA_AGE_SECONDS,
    MAX_SNAPSHOT_AGE_CYCLES,
    MAX_SNAPSHOT_FUTURE_SECONDS,
    RiskLimits,
)
from trading_bot.risk.market import InstrumentMarket, MarketView
from trading_bot.risk.status import RiskStatus
from trading_bot.risk.verdict import Escalation, Finding, Numbers, Rule, SizedOrder, Verdict, tidy

# Fixed arithmetic: the caller's decimal context must not change a verdict. Inputs have at most
# 30 significant digits (sanity.py), so every product a rule compares is exact at this precision;
# rules compare by cross-multiplying (a × 100 ≤ limit × b) rather than dividing.
GATE_CONTEXT = decimal.Context(
    prec=200, rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
HUNDRED = Decimal(100)


class _Inputs:
    """The arguments of one check, bundled so rules stay small."""

    def __init__(self, decision: Decision, account: Account, positions: Sequence[Position], status: RiskStatus,
                 market: MarketView, now: datetime, limits: RiskLimits) -> None:
        self.decision, self.account, self.positions = decision, account, list(positions)
        self.status, self.market, self.now, self.limits = status, market, now, limits


def check(
    decision: Decision,
    account: Account,
    positions: Sequence[Position],
    bot_state: RiskStatus,
    market: MarketView,
    now: datetime,
    *,
    limits: RiskLimits = HARD_LIMITS,
) -> Verdict:
    inputs = _Inputs(decision, account, positions, bot_state, market, now, limits)
    escalation = account_escalation(bot_state, account, now, limits)
    try:
        with decimal.localcontext(GATE_CONTEXT):
            if not decision.action.opens:
                return _always_approved(inputs, escalation)
            return _check_entry(inputs, escalation)
    except Exception as exc:  # noqa: BLE001 - the gate must answer; anything unexpected rejects
        reason = f"the gate could not evaluate this decision ({type(exc).__name__}: {str(exc)[:200]})"
        return _reject(inputs, Finding(rule=Rule.INTERNAL_ERROR, reason=reason), escalation)


def account_escalation(status: RiskStatus, account: Account, now: datetime,
                       limits: RiskLimits = HARD_LIMITS) -> Escalation | None:
    """What the account alone calls for (drawdown, daily loss, losing streak); never raises."""
    try:
        with decimal.localcontext(GATE_CONTEXT):
            return assess_account(status, account, now, limits)
    except Exception:  # noqa: BLE001 - unmeasurable numbers escalate nothing; entries are rejected
        return None


def _always_approved(inputs: _Inputs, escalation: Escalation | None) -> Verdict:
    action = inputs.decision.action
    rule, reason = (Rule.HOLD, "HOLD is always approved") if action is Action.HOLD else (
        Rule.CLOSE, "CLOSE is always approved, in every state")
    return _verdict(inputs, True, rule, reason, {}, None, escalation)


def _check_entry(inputs: _Inputs, escalation: Escalation | None) -> Verdict:
    finding = _pre_order_findings(inputs, escalation)
    if finding is not None:
        return _reject(inputs, finding, escalation)
    view = inputs.market.get(inputs.decision.inst_id)
    assert view is not None
    sized = sizing.size_order(inputs.decision, view, inputs.account.equity)
    if isinstance(sized, Finding):
        return _reject(inputs, sized, escalation)
    finding = _order_findings(inputs, sized, view)
    if finding is not None:
        return _reject(inputs, finding, escalation)
    book = portfolio.holdings(inputs.positions, inputs.market)
    if isinstance(book, Finding):
        return _reject(inputs, book, escalation)
    finding = _portfolio_findings(inputs, sized, book)
    if finding is not None:
        return _reject(inputs, finding, escalation)
    held = sum((h.notional for h in book), Decimal(0))
    return _verdict(inputs, True, Rule.ALL_LIMITS, "every limit holds", _approval_numbers(inputs, sized, held),
                    sized, escalation)


def _pre_order_findings(inputs: _Inputs, escalation: Escalation | None) -> Finding | None:
    decision = inputs.decision
    return (
        sanity.check_decision(decision)
        or sanity.check_account(inputs.account)
        or sanity.check_positions(inputs.positions)
        or sanity.check_market(inputs.market)
        or _instrument(inputs)
        or _bot_state(inputs)
        or (Finding(rule=escalation.rule, reason=escalation.reason, numbers=escalation.numbers) if escalation else None)
        or _risk_state_fresh(inputs)
        or _snapshot_fresh(inputs)
        or _market_data_fresh(inputs)
        or _leverage(inputs)
        or _requested_notional(inputs)
        or sizing.entry_deviation(decision, _view(inputs), inputs.limits)
        or sizing.protection_present(decision)
    )


def _order_findings(inputs: _Inputs, order: SizedOrder, view: InstrumentMarket) -> Finding | None:
    for rule in order_rules.ORDER_RULES:
        finding = rule(order, view, inputs.limits)
        if finding is not None:
            return finding
    return order_rules.trade_notional(order, inputs.account.equity, inputs.limits) or order_rules.margin(
        order, inputs.account
    )


def _portfolio_findings(inputs: _Inputs, order: SizedOrder, book: list[portfolio.Holding]) -> Finding | None:
    limits = inputs.limits
    return (
        portfolio.same_instrument(order, book)
        or portfolio.open_positions(order, book, limits)
        or portfolio.total_exposure(order, book, inputs.account.equity, limits)
        or portfolio.correlation(order, book, inputs.market, limits)
    )


def _view(inputs: _Inputs) -> InstrumentMarket:
    view = inputs.market.get(inputs.decision.inst_id)
    assert view is not None
    return view


def _instrument(inputs: _Inputs) -> Finding | None:
    view = inputs.market.get(inputs.decision.inst_id)
    if view is None:
        return Finding(rule=Rule.UNKNOWN_INSTRUMENT,
                       reason=f"{inputs.decision.inst_id} is not in the market view (no prices or specification)")
    if view.instrument.state != "live":
        return Finding(rule=Rule.UNKNOWN_INSTRUMENT,
                       reason=f"{inputs.decision.inst_id} is {view.instrument.state!r}, not live")
    return None


def _bot_state(inputs: _Inputs) -> Finding | None:
    state = inputs.status.effective_state(inputs.now)
    if state.allows_entries:
        return None
    until = inputs.status.until
    detail = f" until {until:%Y-%m-%d %H:%M:%S} UTC" if until else " until an admin resumes"
    return Finding(rule=Rule.BOT_STATE, reason=f"the bot is {state}{detail}: no new entries",
                   numbers={"state": str(state), "until": until.isoformat() if until else None})


def _risk_state_fresh(inputs: _Inputs) -> Finding | None:
    status = inputs.status
    if not status.is_for_day_of(inputs.now):
        return Finding(rule=Rule.STALE_RISK_STATE,
                       reason=f"the daily counters are for {status.day_start:%Y-%m-%d}, not for {inputs.now:%Y-%m-%d}")
    base = status.day_start_equity
    if base is None or not base.is_finite() or base <= 0:
        return Finding(rule=Rule.STALE_RISK_STATE,
                       reason=f"no usable equity at 00:00 UTC ({base}): the daily loss cannot be measured")
    return None


def _snapshot_fresh(inputs: _Inputs) -> Finding | None:
    market, now = inputs.market, inputs.now
    if market.cycle_seconds <= 0:
        return Finding(rule=Rule.INVALID_NUMBER, reason=f"cycle interval {market.cycle_seconds} s is not positive")
    age = now - market.snapshot_at
    max_age = timedelta(seconds=market.cycle_seconds * MAX_SNAPSHOT_AGE_CYCLES)
    numbers = {"snapshot_at": market.snapshot_at.isoformat(), "age_seconds": age.total_seconds(),
               "max_age_seconds": max_age.total_seconds()}
    if age > max_age:
        return Finding(rule=Rule.STALE_SNAPSHOT, numbers=numbers,
                       reason=f"the snapshot is {age.total_seconds():.0f} s old (limit {max_age.total_seconds():.0f} s, "
                              f"{MAX_SNAPSHOT_AGE_CYCLES} cycles)")
    if -age > timedelta(seconds=MAX_SNAPSHOT_FUTURE_SECONDS):
        return Finding(rule=Rule.STALE_SNAPSHOT, numbers=numbers,
                       reason=f"the snapshot is stamped {-age.total_seconds():.0f} s in the future")
    return None


def _market_data_fresh(inputs: _Inputs) -> Finding | None:
    """Whatever the analyst concluded, it did so from these prices: a stalled feed refuses entries."""
    market = inputs.market
    if "price" not in market.market_data_at:
        return Finding(rule=Rule.STALE_MARKET_DATA,
                       reason="the market view gives no time for the price: its freshness is unknown")
    source, stamp = min(market.market_data_at.items(), key=lambda item: item[1])
    age = (market.snapshot_at - stamp).total_seconds()
    if age <= MAX_MARKET_DATA_AGE_SECONDS:
        return None
    return Finding(rule=Rule.STALE_MARKET_DATA,
                   reason=f"the {source} was {age:.0f} s old when the snapshot was taken "
                          f"(limit {MAX_MARKET_DATA_AGE_SECONDS} s): the market feed is stale",
                   numbers={"source": source, "age_seconds": age, "max_age_seconds": MAX_MARKET_DATA_AGE_SECONDS})


def _leverage(inputs: _Inputs) -> Finding | None:
    leverage, limit = inputs.decision.leverage, inputs.limits.max_leverage
    venue_max = Decimal(_view(inputs).instrument.max_leverage)
    if Decimal(1) <= leverage <= min(limit, venue_max):
        return None
    return Finding(rule=Rule.LEVERAGE,
                   reason=f"leverage {leverage}× is outside 1× … {min(limit, venue_max)}× "
                          f"(limit {limit}×, venue maximum {venue_max}×)",
                   numbers={"leverage": leverage, "limit": limit, "venue_max": venue_max})


def _requested_notional(inputs: _Inputs) -> Finding | None:
    size_pct, limit = inputs.decision.size_pct, inputs.limits.max_trade_notional_pct
    if size_pct <= limit:
        return None
    return Finding(rule=Rule.TRADE_NOTIONAL,
                   reason=f"the decision asks for {size_pct} % of equity in one trade (limit {limit} %)",
                   numbers={"size_pct": size_pct, "limit_pct": limit})


def _approval_numbers(inputs: _Inputs, order: SizedOrder, held: Decimal) -> Numbers:
    equity = inputs.account.equity
    return {
        "equity": equity,
        "contracts": order.contracts,
        "notional": order.notional,
        "notional_pct": order.notional / equity * HUNDRED,
        "exposure_pct": (held + order.notional) / equity * HUNDRED,
        "stop_distance_pct": order_rules.stop_distance_pct(order),
        "reward_risk": order_rules.reward_risk(order),
        "liquidation_price": order_rules.liquidation_price(order),
        "daily_loss_pct": daily_loss_pct(inputs.status, equity),
        "drawdown_pct": drawdown_pct(inputs.status, equity)[0],
    }


def _reject(inputs: _Inputs, finding: Finding, escalation: Escalation | None) -> Verdict:
    return _verdict(inputs, False, finding.rule, finding.reason, finding.numbers, None, escalation)


def _verdict(inputs: _Inputs, approved: bool, rule: Rule, reason: str, numbers: Numbers, order: SizedOrder | None,
             escalation: Escalation | None) -> Verdict:
    if escalation is not None:
        escalation = escalation.model_copy(update={"numbers": tidy(escalation.numbers)})
    return Verdict(approved=approved, rule=rule, reason=reason, numbers=tidy(numbers), inst_id=inputs.decision.inst_id,
                   action=inputs.decision.action, order=order, escalation=escalation, checked_at=inputs.now)
