"""Market conditions that bypass the screener (go straight to analysis) or start news research.

Thresholds are named here; the snapshot's own anomaly flags (market/anomalies.py) count too, so a
condition is found whether it was flagged upstream or only visible in the numbers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.domain.snapshot import MarketSnapshot

PRICE_MOVE_PCT = 3.0  # |1H move| above this is an anomaly
FUNDING_SPIKE = Decimal("0.0005")  # |funding rate| above 0.05 % per interval
OI_CHANGE_PCT = 5.0  # |open-interest change over 1H| above this


def calendar_trigger(calendar: EconomicCalendar, now: datetime) -> str | None:
    event = calendar.in_window(now)
    return f"calendar:{event.name}" if event is not None else None


def price_move_trigger(snapshot: MarketSnapshot) -> str | None:
    flagged = any(a.kind == "price_move" for a in snapshot.anomalies)
    change = snapshot.price_change_1h_pct
    return "price_move" if flagged or (change is not None and abs(change) > PRICE_MOVE_PCT) else None


def funding_trigger(snapshot: MarketSnapshot) -> str | None:
    flagged = any(a.kind == "funding_spike" for a in snapshot.anomalies)
    rate = snapshot.funding.rate if snapshot.funding is not None else Decimal(0)
    return "funding_spike" if flagged or abs(rate) > FUNDING_SPIKE else None


def open_interest_trigger(snapshot: MarketSnapshot) -> str | None:
    flagged = any(a.kind == "oi_change" for a in snapshot.anomalies)
    change = snapshot.oi_change_1h_pct
    return "oi_change" if flagged or (change is not None and abs(change) > OI_CHANGE_PCT) else None


def market_triggers(snapshot: MarketSnapshot, calendar: EconomicCalendar, now: datetime,
                    include_open_interest: bool = False) -> list[str]:
    """Every firing trigger, most important first."""
    checks = [calendar_trigger(calendar, now), price_move_trigger(snapshot), funding_trigger(snapshot)]
    if include_open_interest:
        checks.append(open_interest_trigger(snapshot))
    return [found for found in checks if found is not None]
