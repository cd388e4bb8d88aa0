"""The cost ledger's questions (today, this week, per trade, per decision) and the daily budget
governor: a WARN alert once at 80 % of `DAILY_LLM_BUDGET_USD`, and at 100 % a CRITICAL alert and no
more Opus calls (analysis, reviews, reflection, research) until the next UTC day. The cycle then ends
in HOLD; open positions keep their exchange-side stop-loss and take-profit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.brain.alerts import AlertSink
from trading_bot.clock import start_of_utc_day
from trading_bot.domain.events import Alert
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos import llm_calls

WARN_FRACTION = Decimal("0.8")
DAY = timedelta(days=1)


class CostLedger:
    def __init__(self, db: Database, run_id: str = LIVE_RUN) -> None:
        self._db = db
        self.run_id = run_id

    def today(self, now: datetime) -> Decimal:
        start = start_of_utc_day(now)
        return llm_calls.cost_between(self._db, start, start + DAY, self.run_id)

    def this_week(self, now: datetime) -> Decimal:
        """Since Monday 00:00 UTC."""
        start = start_of_utc_day(now) - timedelta(days=now.weekday())
        return llm_calls.cost_between(self._db, start, start + 7 * DAY, self.run_id)

    def per_decision(self, cycle_id: str) -> Decimal:
        return llm_calls.cost_of_cycle(self._db, cycle_id)

    def per_trade(self) -> dict[int, Decimal]:
        return llm_calls.cost_per_trade(self._db, self.run_id)


@dataclass(frozen=True)
class BudgetStatus:
    spent: Decimal
    budget: Decimal

    @property
    def fraction(self) -> Decimal:
        return self.spent / self.budget

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.budget


class BudgetGovernor:
    def __init__(self, ledger: CostLedger, alerts: AlertSink, daily_budget: Decimal) -> None:
        if daily_budget <= 0:
            raise ValueError("the daily LLM budget must be positive")
        self.ledger = ledger
        self._alerts = alerts
        self.budget = daily_budget

    def status(self, now: datetime) -> BudgetStatus:
        return BudgetStatus(self.ledger.today(now), self.budget)

    def allows_opus(self, now: datetime) -> bool:
        status = self.status(now)
        if status.exhausted:
            self._alert(now, status)
        return not status.exhausted

    def after_spend(self, now: datetime) -> BudgetStatus:
        """Call after every priced call: alerts when a threshold has been crossed (once per day each)."""
        status = self.status(now)
        self._alert(now, status)
        return status

    def _alert(self, now: datetime, status: BudgetStatus) -> None:
        day = start_of_utc_day(now).date().isoformat()
        data = {"spent_usd": str(status.spent), "budget_usd": str(status.budget), "day": day}
        if status.exhausted:
            self._alerts.emit(Alert(
                severity="CRITICAL", kind="budget_100", ts=now, data=data,
                message=f"LLM budget exhausted: ${status.spent:.4f} of ${status.budget} spent on {day} (UTC); "
                        "no more Opus calls until 00:00 UTC, cycles end in HOLD, protective orders stay",
            ), once_key=f"budget:{self.ledger.run_id}:{day}:100")
        elif status.fraction >= WARN_FRACTION:
            self._alerts.emit(Alert(
                severity="WARN", kind="budget_80", ts=now, data=data,
                message=f"LLM spend at {status.fraction:.0%} of the daily budget: "
                        f"${status.spent:.4f} of ${status.budget} on {day} (UTC)",
            ), once_key=f"budget:{self.ledger.run_id}:{day}:80")
