"""Rules about the sized order itself: stop-loss and take-profit sides and distances, reward:risk,
liquidation before the stop, notional, margin and the venue's size limits. Each returns a Finding
or None; distances are measured from the order's pessimistic entry (`SizedOrder.entry_ref`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from trading_bot.domain.orders import Account
from trading_bot.risk.limits import MAINTENANCE_MARGIN_RATE, RiskLimits
from trading_bot.risk.market import InstrumentMarket
from trading_bot.risk.verdict import Finding, Rule, SizedOrder

HUNDRED = Decimal(100)
ONE = Decimal(1)


def _is_long(order: SizedOrder) -> bool:
    return order.side == "long"


def stop_loss_side(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    """A long's stop must sit below the entry and below both current prices (else it would trigger
    at once); a short's above. The rounded trigger must also be a positive price."""
    low, high = min(view.mark_price, view.last_price, order.entry_ref), max(view.mark_price, view.last_price, order.entry_ref)
    ok = order.stop_loss > 0 and (order.stop_loss < low if _is_long(order) else order.stop_loss > high)
    if ok:
        return None
    where = "below" if _is_long(order) else "above"
    return Finding(
        rule=Rule.STOP_LOSS_SIDE,
        reason=f"a {order.side} stop-loss must be {where} the entry {order.entry_ref}, the mark {view.mark_price} "
               f"and the last price {view.last_price}; got {order.stop_loss}",
        numbers={"stop_loss": order.stop_loss, "entry": order.entry_ref, "mark_price": view.mark_price,
                 "last_price": view.last_price},
    )


def take_profit_side(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    low, high = min(view.mark_price, view.last_price, order.entry_ref), max(view.mark_price, view.last_price, order.entry_ref)
    ok = order.take_profit > 0 and (order.take_profit > high if _is_long(order) else order.take_profit < low)
    if ok:
        return None
    where = "above" if _is_long(order) else "below"
    return Finding(
        rule=Rule.TAKE_PROFIT_SIDE,
        reason=f"a {order.side} take-profit must be {where} the entry {order.entry_ref}, the mark {view.mark_price} "
               f"and the last price {view.last_price}; got {order.take_profit}",
        numbers={"take_profit": order.take_profit, "entry": order.entry_ref, "mark_price": view.mark_price,
                 "last_price": view.last_price},
    )


def stop_distance_pct(order: SizedOrder) -> Decimal:
    return abs(order.entry_ref - order.stop_loss) / order.entry_ref * HUNDRED


def reward_risk(order: SizedOrder) -> Decimal:
    return abs(order.take_profit - order.entry_ref) / abs(order.entry_ref - order.stop_loss)


def stop_loss_distance(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    if abs(order.entry_ref - order.stop_loss) * HUNDRED <= limits.max_stop_distance_pct * order.entry_ref:
        return None
    distance = stop_distance_pct(order)
    return Finding(
        rule=Rule.STOP_LOSS_DISTANCE,
        reason=f"stop-loss {order.stop_loss} is {distance:.3f} % from the entry {order.entry_ref} "
               f"(limit {limits.max_stop_distance_pct} %)",
        numbers={"stop_loss": order.stop_loss, "entry": order.entry_ref, "distance_pct": distance,
                 "limit_pct": limits.max_stop_distance_pct},
    )


def reward_to_risk(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    if abs(order.take_profit - order.entry_ref) >= limits.min_reward_risk * abs(order.entry_ref - order.stop_loss):
        return None
    ratio = reward_risk(order)
    return Finding(
        rule=Rule.REWARD_RISK,
        reason=f"take-profit {order.take_profit} pays {ratio:.3f}× the risk to the stop {order.stop_loss} "
               f"(minimum {limits.min_reward_risk}×)",
        numbers={"take_profit": order.take_profit, "stop_loss": order.stop_loss, "entry": order.entry_ref,
                 "reward_risk": ratio, "minimum": limits.min_reward_risk},
    )


def liquidation_price(order: SizedOrder, mmr: Decimal = MAINTENANCE_MARGIN_RATE) -> Decimal:
    """Estimated isolated-margin liquidation price of a linear swap: the position's margin
    (notional / leverage) is used up down to the maintenance margin. Cross margin liquidates
    later (the whole account backs it), so this estimate is the pessimistic one for both modes."""
    inverse = ONE / order.leverage
    if _is_long(order):
        return order.entry_ref * (ONE - inverse) / (ONE - mmr)
    return order.entry_ref * (ONE + inverse) / (ONE + mmr)


def liquidation(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    # liquidation_price() cross-multiplied: long liq ≥ stop ⇔ entry·(L − 1) ≥ stop·L·(1 − mmr)
    entry, lev, stop, mmr = order.entry_ref, order.leverage, order.stop_loss, MAINTENANCE_MARGIN_RATE
    if _is_long(order):
        hit_first = entry * (lev - ONE) >= stop * lev * (ONE - mmr)
    else:
        hit_first = entry * (lev + ONE) <= stop * lev * (ONE + mmr)
    if not hit_first:
        return None
    liq = liquidation_price(order)
    return Finding(
        rule=Rule.LIQUIDATION,
        reason=f"at {order.leverage}× the estimated liquidation price {liq:.2f} comes before the stop-loss "
               f"{order.stop_loss}",
        numbers={"liquidation_price": liq, "stop_loss": order.stop_loss, "leverage": order.leverage,
                 "maintenance_margin_rate": MAINTENANCE_MARGIN_RATE},
    )


def venue_size(order: SizedOrder, view: InstrumentMarket, limits: RiskLimits) -> Finding | None:
    spec = view.instrument
    maximum = spec.max_mkt_sz if order.ord_type == "market" else spec.max_lmt_sz
    if maximum is None or order.contracts <= maximum:
        return None
    return Finding(
        rule=Rule.SIZE_TOO_LARGE,
        reason=f"{order.contracts} contracts exceed the venue's maximum {order.ord_type} order of {maximum}",
        numbers={"contracts": order.contracts, "maximum": maximum},
    )


ORDER_RULES: tuple[Callable[[SizedOrder, InstrumentMarket, RiskLimits], Finding | None], ...] = (
    stop_loss_side,
    take_profit_side,
    stop_loss_distance,
    reward_to_risk,
    liquidation,
    venue_size,
)


def trade_notional(order: SizedOrder, equity: Decimal, limits: RiskLimits) -> Finding | None:
    if order.notional * HUNDRED <= limits.max_trade_notional_pct * equity:
        return None
    pct = order.notional / equity * HUNDRED
    return Finding(
        rule=Rule.TRADE_NOTIONAL,
        reason=f"the order's notional {order.notional:.2f} USDT is {pct:.3f} % of equity "
               f"(limit {limits.max_trade_notional_pct} %)",
        numbers={"notional": order.notional, "equity": equity, "notional_pct": pct,
                 "limit_pct": limits.max_trade_notional_pct},
    )


def margin(order: SizedOrder, account: Account) -> Finding | None:
    if order.notional <= account.available * order.leverage:  # margin = notional / leverage
        return None
    return Finding(
        rule=Rule.MARGIN,
        reason=f"the order needs {order.margin:.2f} USDT of margin, {account.available} USDT is available",
        numbers={"margin": order.margin, "available": account.available},
    )
