"""Account-level tripwires: drawdown from peak (EMERGENCY HALT), daily loss (HALT until the next UTC
day) and consecutive losses (COOLDOWN). Pure: returns the escalation the numbers call for; the state
service applies it. Reaching a loss limit trips it (the boundary counts as a breach)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trading_bot.domain.orders import Account
from trading_bot.risk.limits import RiskLimits
from trading_bot.risk.status import BotState, RiskStatus, next_utc_midnight
from trading_bot.risk.verdict import Escalation, Rule

HUNDRED = Decimal(100)


def drawdown_pct(status: RiskStatus, equity: Decimal) -> tuple[Decimal, Decimal]:
    """(drawdown in % of peak, peak) — the peak is at least the current equity; an equity of zero or
    less is a 100 % (or deeper) drawdown."""
    known = status.peak_equity if status.peak_equity is not None and status.peak_equity.is_finite() else equity
    peak = max(known, equity)
    if peak <= 0:
        return HUNDRED, peak
    return (peak - equity) / peak * HUNDRED, peak


def daily_loss_pct(status: RiskStatus, equity: Decimal) -> Decimal | None:
    """Loss since 00:00 UTC (realised + unrealised, i.e. the equity change) in % of the day's
    starting equity; positive = loss. None when there is no usable baseline."""
    base = status.day_start_equity
    if base is None or not base.is_finite() or base <= 0:
        return None
    return (base - equity) / base * HUNDRED


def _drawdown(status: RiskStatus, equity: Decimal, limits: RiskLimits) -> Escalation | None:
    pct, peak = drawdown_pct(status, equity)
    if peak > 0 and (peak - equity) * HUNDRED < limits.max_drawdown_pct * peak:
        return None
    return Escalation(
        to_state=BotState.EMERGENCY_HALTED,
        rule=Rule.DRAWDOWN,
        reason=f"equity {equity} USDT is {pct:.2f} % below the peak {peak} USDT (limit {limits.max_drawdown_pct} %)",
        numbers={"equity": equity, "peak_equity": peak, "drawdown_pct": pct, "limit_pct": limits.max_drawdown_pct},
    )


def _daily_loss(status: RiskStatus, equity: Decimal, now: datetime, limits: RiskLimits) -> Escalation | None:
    if not status.is_for_day_of(now):
        return None
    pct, base = daily_loss_pct(status, equity), status.day_start_equity
    if pct is None or base is None or (base - equity) * HUNDRED < limits.max_daily_loss_pct * base:
        return None
    return Escalation(
        to_state=BotState.HALTED,
        rule=Rule.DAILY_LOSS,
        reason=(f"equity {equity} USDT is {pct:.2f} % below {status.day_start_equity} USDT at the day's start "
                f"(limit {limits.max_daily_loss_pct} %); no new entries until 00:00 UTC"),
        until=next_utc_midnight(now),
        numbers={"equity": equity, "day_start_equity": status.day_start_equity, "daily_loss_pct": pct,
                 "limit_pct": limits.max_daily_loss_pct},
    )


def _losing_streak(status: RiskStatus, now: datetime, limits: RiskLimits) -> Escalation | None:
    if status.consecutive_losses < limits.max_consecutive_losses:
        return None
    served = status.paused_at is not None and (status.last_loss_at is None or status.last_loss_at <= status.paused_at)
    if served:
        return None
    minutes = int(limits.cooldown.total_seconds() // 60)
    return Escalation(
        to_state=BotState.COOLDOWN,
        rule=Rule.CONSECUTIVE_LOSSES,
        reason=f"{status.consecutive_losses} losing trades in a row (limit {limits.max_consecutive_losses}); "
               f"cooling down for {minutes} minutes",
        until=now + limits.cooldown,
        numbers={"consecutive_losses": status.consecutive_losses, "limit": limits.max_consecutive_losses,
                 "cooldown_minutes": minutes},
    )


def assess_account(status: RiskStatus, account: Account, now: datetime, limits: RiskLimits) -> Escalation | None:
    """The most severe escalation due, if it is more severe than the state in force at `now`."""
    equity = account.equity
    if not equity.is_finite():
        return None  # the gate rejects entries on a broken account; nothing can be measured here
    current = status.effective_state(now)
    for candidate in (_drawdown(status, equity, limits), _daily_loss(status, equity, now, limits),
                      _losing_streak(status, now, limits)):
        if candidate is not None:
            return candidate if candidate.to_state.severity > current.severity else None
    return None
