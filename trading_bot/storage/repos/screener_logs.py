"""`screener_logs`: every screen (Haiku, rules or bypass) and, later, whether the analyst agreed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, ScreenerLog


def insert(db: Database, *, instrument: str, ts: datetime, model: str, signal: bool, reason: str,
           bypass_reason: str | None, parse_error: bool, llm_call_id: int | None, cycle_id: str | None,
           run_id: str = LIVE_RUN) -> int:
    row = ScreenerLog(instrument=instrument, ts=ts, model=model, signal=signal, reason=reason,
                      bypass_reason=bypass_reason, parse_error=parse_error, llm_call_id=llm_call_id,
                      cycle_id=cycle_id, run_id=run_id, created_at=ts)
    with db.session() as session:
        session.add(row)
        session.flush()
        return int(row.id)


def pass_rate(db: Database, start: datetime, end: datetime, run_id: str = LIVE_RUN) -> tuple[int, int]:
    """(screens judged by a model, how many passed) in [start, end); bypassed screens are not counted."""
    query = select(func.count(), func.count().filter(ScreenerLog.signal.is_(True))).where(
        ScreenerLog.run_id == run_id, ScreenerLog.ts >= start, ScreenerLog.ts < end,
        ScreenerLog.bypass_reason.is_(None),
    )
    with db.session() as session:
        total, passed = session.execute(query).one()
    return int(total), int(passed)


def mark_analyst(db: Database, log_id: int, action: str, shadow: bool) -> None:
    """Record what the analyst (live or shadow) decided: it agreed when a pass led to a non-HOLD
    action or a screened-out cycle was a HOLD anyway."""
    with db.session() as session:
        row = session.get(ScreenerLog, log_id)
        if row is None:
            raise LookupError(f"no screener log {log_id}")
        agreed = (action != "HOLD") == row.signal
        session.execute(update(ScreenerLog).where(ScreenerLog.id == log_id).values(
            analyst_action=action, analyst_agreed=agreed, shadow_analysed=shadow))
