"""The risk counters, derived from what is already journaled so a restart loses nothing:

- equity at 00:00 UTC: the last equity observation at or before midnight (else the day's first);
  an admin resume later that day restarts the baseline from the equity at the resume;
- peak equity: the highest equity observed (since the last resume from EMERGENCY_HALTED);
- consecutive losses: losing closed trades in a row in `trades`, newest first;
- paused_at: the last time the bot left RUNNING (a pause after the newest loss serves the streak).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from trading_bot.clock import start_of_utc_day
from trading_bot.risk.status import BotState, RiskStatus
from trading_bot.storage.repos import bot_state as events
from trading_bot.storage.repos import risk_counters as journal


def derive_status(session: Session, run_id: str, state: BotState, until: datetime | None, now: datetime) -> RiskStatus:
    day_start = start_of_utc_day(now)
    day_anchor = max(day_start, events.last_rebaseline(session, run_id, "day") or day_start)
    streak, last_loss_at = journal.losing_streak(session, run_id)
    return RiskStatus(
        state=state,
        until=until,
        day_start=day_start,
        day_start_equity=journal.equity_at(session, run_id, day_anchor),
        peak_equity=journal.peak_equity_since(session, run_id, events.last_rebaseline(session, run_id, "peak")),
        consecutive_losses=streak,
        last_loss_at=last_loss_at,
        paused_at=events.last_paused_at(session, run_id),
    )
