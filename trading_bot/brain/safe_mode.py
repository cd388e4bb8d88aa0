"""Safe mode: Claude keeps failing, so the bot stops asking it every cycle.

Three unusable analyses in a row (any failure: HTTP 529 overloaded, a timeout, a refusal, malformed
or schema-invalid JSON…) start safe mode: the screener passes without asking Haiku and the analyst
holds without calling Opus, except for one probe analysis per ten-minute window of market time
(windows start at :00, :10, … UTC; with 5-minute cycles every other cycle probes). The first usable
answer ends safe mode and is traded like any other. One WARN alert when safe mode starts and one
INFO alert when it ends, per outage, however many workers see it (the once-key is the last usable
analysis before the outage).

The state is the ledger (`llm_calls` of purpose analyze): every worker, a restarted one and a
backtest agree, and nothing else is kept. A failing screener alone is no outage: it passes, and
the analyst decides. Replays have no safe mode: they answer every call from the recording, and a
miss shows as one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trading_bot.brain.alerts import AlertSink
from trading_bot.brain.calls import LlmOutcome
from trading_bot.domain.events import Alert
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.llm_calls import FailureStreak, failure_streak

ENTER_AFTER = 3  # unusable analyses in a row
PROBE_MINUTES = 10
PROBE_WINDOW = timedelta(minutes=PROBE_MINUTES)
PURPOSE = "analyze"


@dataclass(frozen=True)
class Outage:
    failures: int
    last_failure: str  # the failure kind of the latest analysis (overloaded, refusal, …)
    last_call_at: datetime

    @property
    def next_probe(self) -> datetime:
        """The start of the window after the latest call's: the probe's earliest time."""
        epoch = int(self.last_call_at.timestamp())
        window = int(PROBE_WINDOW.total_seconds())
        return datetime.fromtimestamp(epoch - epoch % window, UTC) + PROBE_WINDOW

    def probe_due(self, now: datetime) -> bool:
        return now >= self.next_probe

    def hold_reason(self) -> str:
        return (f"safe mode: {self.failures} analyses in a row were unusable (last: {self.last_failure}); "
                f"no Claude call before the next probe at {self.next_probe:%Y-%m-%dT%H:%M:%SZ}")


class SafeMode:
    def __init__(self, db: Database, alerts: AlertSink, run_id: str = LIVE_RUN) -> None:
        self._db = db
        self._alerts = alerts
        self._run_id = run_id

    def outage(self) -> Outage | None:
        """The outage in progress (ENTER_AFTER or more unusable analyses in a row), or None."""
        streak = failure_streak(self._db, PURPOSE, self._run_id)
        if streak.failures < ENTER_AFTER or streak.latest_at is None:
            return None
        return Outage(streak.failures, _kind(streak.latest_error), streak.latest_at)

    def record(self, outcome: LlmOutcome[Any], now: datetime) -> None:
        """After an analysis call: announce the outage this failure makes (once), or the end of the
        one this usable answer ends (once)."""
        if outcome.ok:
            before = failure_streak(self._db, PURPOSE, self._run_id, upto=outcome.call_id - 1)
            if before.failures >= ENTER_AFTER:
                self._recovered(before, now, outcome.call_id)
            return
        streak = failure_streak(self._db, PURPOSE, self._run_id, upto=outcome.call_id)
        if streak.failures >= ENTER_AFTER:
            self._entered(streak, now, outcome)

    def _entered(self, streak: FailureStreak, now: datetime, outcome: LlmOutcome[Any]) -> None:
        self._alerts.emit(Alert(
            severity="WARN", kind="claude_safe_mode", ts=now,
            data={"failures": streak.failures, "last_failure": outcome.failure, "llm_call_id": outcome.call_id},
            message=f"Claude safe mode: {streak.failures} analyses in a row were unusable (last: {outcome.failure}); "
                    f"cycles end in HOLD without calling Claude, one probe per {PROBE_MINUTES} minutes; "
                    "protective orders stay",
        ), once_key=f"claude-safe-mode:{self._run_id}:{streak.since_id}")

    def _recovered(self, streak: FailureStreak, now: datetime, call_id: int) -> None:
        self._alerts.emit(Alert(
            severity="INFO", kind="claude_recovered", ts=now,
            data={"failures": streak.failures, "llm_call_id": call_id},
            message=f"Claude answers again after {streak.failures} unusable analyses: safe mode ended, "
                    "cycles trade again",
        ), once_key=f"claude-recovered:{self._run_id}:{streak.since_id}")


def _kind(error: str | None) -> str:
    return (error or "unknown").split(":", 1)[0]
