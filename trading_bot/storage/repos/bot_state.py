"""`bot_state_events`: one row per bot state transition; the newest row of a run is its state.

Writers hold a transaction-scoped advisory lock per run (`lock_run`) around read-then-insert, so
the pipeline, Telegram and the CLI never interleave two transitions."""

from __future__ import annotations

import zlib
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from trading_bot.storage.models import BotStateEvent

RUNNING = "RUNNING"


def lock_run(session: Session, run_id: str) -> None:
    key = zlib.crc32(f"bot_state:{run_id}".encode())
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def latest(session: Session, run_id: str) -> BotStateEvent | None:
    """The last transition written (writers hold the run's advisory lock, so ids are in order)."""
    query = (select(BotStateEvent).where(BotStateEvent.run_id == run_id)
             .order_by(BotStateEvent.id.desc()).limit(1))
    return session.scalars(query).first()


def insert(session: Session, *, run_id: str, ts: datetime, from_state: str | None, to_state: str, actor: str,
           reason: str, until: datetime | None, data: dict[str, Any]) -> BotStateEvent:
    row = BotStateEvent(run_id=run_id, ts=ts, from_state=from_state, to_state=to_state, actor=actor, reason=reason,
                        until=until, data=data)
    session.add(row)
    session.flush()
    return row


def history(session: Session, run_id: str, limit: int) -> list[BotStateEvent]:
    query = (select(BotStateEvent).where(BotStateEvent.run_id == run_id)
             .order_by(BotStateEvent.ts.desc(), BotStateEvent.id.desc()).limit(limit))
    return list(session.scalars(query))


def first_entered(session: Session, run_id: str, states: tuple[str, ...]) -> BotStateEvent | None:
    """The run's first transition into one of `states`."""
    query = (select(BotStateEvent).where(BotStateEvent.run_id == run_id, BotStateEvent.to_state.in_(states))
             .order_by(BotStateEvent.ts, BotStateEvent.id).limit(1))
    return session.scalars(query).first()


def marks(session: Session, run_id: str) -> tuple[datetime | None, datetime | None, datetime | None]:
    """In one statement: when an admin resume last restarted the daily baseline ("day") and the
    peak ("peak") from the equity then, and when the bot last entered a state other than RUNNING."""
    def latest_where(condition: Any) -> Any:
        return func.max(BotStateEvent.ts).filter(condition)

    query = select(latest_where(BotStateEvent.data["rebaseline"].contains(["day"])),
                   latest_where(BotStateEvent.data["rebaseline"].contains(["peak"])),
                   latest_where(BotStateEvent.to_state != RUNNING)).where(BotStateEvent.run_id == run_id)
    day, peak, paused = session.execute(query).one()
    return day, peak, paused
