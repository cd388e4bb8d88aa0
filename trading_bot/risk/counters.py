"""The risk counters, derived from what is already journaled so a restart loses nothing:

- equity at 00:00 UTC: the last equity observation at or before midnight (else the day's first);
  an admin resume later that day restarts the baseline from the equity at the resume;
- peak equity: the highest equity observed (since the last resume from EMERGENCY_HALTED);
- consecutive losses: losing closed trades in a row in `trades`, newest first;
- paused_at: the last time the bot left RUNNING (a pause after the newest loss serves the streak).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from trading_bot.clock import start_of_utc_day
from trading_bot.risk.status import BotState, RiskStatus
from trading_bot.storage.repos import bot_state as events
from trading_bot.storage.repos import risk_counters as journal


@dataclass
class StateMarks:
    """What the counters read from the state events: the last admin rebaseline of each counter and
    the last time the bot left RUNNING. `read` takes them from the journal; the only writer of a
    run's events can keep them up to date itself (`entered`) instead of reading them every time."""

    day_rebaseline: datetime | None = None
    peak_rebaseline: datetime | None = None
    paused_at: datetime | None = None

    @classmethod
    def read(cls, session: Session, run_id: str) -> StateMarks:
        return cls(*events.marks(session, run_id))

    def entered(self, state: BotState, at: datetime, data: dict[str, Any]) -> None:
        """An event was written: the marks as `read` would now give them."""
        rebaseline = data.get("rebaseline") or []
        if "day" in rebaseline:
            self.day_rebaseline = _latest(self.day_rebaseline, at)
        if "peak" in rebaseline:
            self.peak_rebaseline = _latest(self.peak_rebaseline, at)
        if state is not BotState.RUNNING:
            self.paused_at = _latest(self.paused_at, at)


def _latest(known: datetime | None, at: datetime) -> datetime:
    return at if known is None or at > known else known


def derive_status(session: Session, run_id: str, state: BotState, until: datetime | None, now: datetime,
                  marks: StateMarks | None = None) -> RiskStatus:
    marks = marks or StateMarks.read(session, run_id)
    day_start = start_of_utc_day(now)
    day_anchor = max(day_start, marks.day_rebaseline or day_start)
    streak, last_loss_at = journal.losing_streak(session, run_id)
    return RiskStatus(
        state=state,
        until=until,
        day_start=day_start,
        day_start_equity=journal.equity_at(session, run_id, day_anchor),
        peak_equity=journal.peak_equity_since(session, run_id, marks.peak_rebaseline),
        consecutive_losses=streak,
        last_loss_at=last_loss_at,
        paused_at=marks.paused_at,
    )
