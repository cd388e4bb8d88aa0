"""`screener_logs`: every screen (Haiku, rules or bypass) and, later, whether the analyst agreed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import insert as sql_insert

from trading_bot.storage.db import Database, table_of
from trading_bot.storage.models import LIVE_RUN, ScreenerLog

_logs = table_of(ScreenerLog)
_INSERT = sql_insert(_logs).returning(_logs.c.id)  # built once: every cycle screens


def insert(db: Database, *, instrument: str, ts: datetime, model: str, signal: bool, reason: str,
           bypass_reason: str | None, parse_error: bool, llm_call_id: int | None, cycle_id: str | None,
           run_id: str = LIVE_RUN) -> int:
    row = {"instrument": instrument, "ts": ts, "model": model, "signal": signal, "reason": reason,
           "bypass_reason": bypass_reason, "parse_error": parse_error, "llm_call_id": llm_call_id,
           "cycle_id": cycle_id, "run_id": run_id, "created_at": ts}
    if db.journal is not None:
        return db.journal.insert_screen(row)
    with db.session() as session:
        return int(session.execute(_INSERT, row).scalar_one())


_PASS_RATE = select(func.count(), func.count().filter(_logs.c.signal.is_(True))).where(
    _logs.c.run_id == bindparam("run_id"), _logs.c.ts >= bindparam("start"), _logs.c.ts < bindparam("end"),
    _logs.c.bypass_reason.is_(None))


def pass_rate(db: Database, start: datetime, end: datetime, run_id: str = LIVE_RUN) -> tuple[int, int]:
    """(screens judged by a model, how many passed) in [start, end); bypassed screens are not counted."""
    if db.journal is not None:  # the run's screens are all journaled there, written or not
        return db.journal.pass_rate(start, end)
    with db.session() as session:
        total, passed = session.execute(_PASS_RATE, {"run_id": run_id, "start": start, "end": end}).one()
    return int(total), int(passed)


_MARK = (update(_logs).where(_logs.c.id == bindparam("log_id"))
         .values(analyst_action=bindparam("action"), analyst_agreed=_logs.c.signal == bindparam("traded"),
                 shadow_analysed=bindparam("shadow")).returning(_logs.c.id))


def mark_analyst(db: Database, log_id: int, action: str, shadow: bool) -> None:
    """Record what the analyst (live or shadow) decided: it agreed when a pass led to a non-HOLD
    action or a screened-out cycle was a HOLD anyway."""
    unwritten = db.journal.unwritten_screen(log_id) if db.journal is not None else None
    if unwritten is not None:
        unwritten.update(analyst_action=action, analyst_agreed=unwritten["signal"] == (action != "HOLD"),
                         shadow_analysed=shadow)
        return
    with db.session() as session:
        marked = session.execute(_MARK, {"log_id": log_id, "action": action, "traded": action != "HOLD",
                                         "shadow": shadow}).first()
    if marked is None:
        raise LookupError(f"no screener log {log_id}")

