"""`reflection_logs`: post-trade reviews and deep reflections (playbook updates)."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import select

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, ReflectionLog


def insert(db: Database, *, kind: str, model: str, content: dict[str, Any], lessons: list[str], created_at: datetime,
           trade_id: int | None = None, llm_call_id: int | None = None, version_before: int | None = None,
           version_after: int | None = None, run_id: str = LIVE_RUN) -> int:
    if db.journal is not None:
        return db.journal.book.insert_reflection({
            "run_id": run_id, "kind": kind, "trade_id": trade_id, "llm_call_id": llm_call_id, "model": model,
            "content": content, "lessons": lessons, "playbook_version_before": version_before,
            "playbook_version_after": version_after, "created_at": created_at})
    with db.session() as session:
        row = ReflectionLog(run_id=run_id, kind=kind, trade_id=trade_id, llm_call_id=llm_call_id, model=model,
                            content=content, lessons=lessons, playbook_version_before=version_before,
                            playbook_version_after=version_after, created_at=created_at)
        session.add(row)
        session.flush()
        return int(row.id)


def exists_for_trade(db: Database, trade_id: int, kind: str = "post_trade") -> bool:
    if db.journal is not None:
        return db.journal.book.reflected(trade_id, kind)
    with db.session() as session:
        return session.scalar(select(ReflectionLog.id).where(
            ReflectionLog.trade_id == trade_id, ReflectionLog.kind == kind).limit(1)) is not None


def last_of_kind(db: Database, kind: str, run_id: str = LIVE_RUN) -> datetime | None:
    if db.journal is not None:
        newest = next(db.journal.book.reflections_newest_first(run_id, kind), None)
        return None if newest is None else newest["created_at"]
    with db.session() as session:
        return session.scalar(select(ReflectionLog.created_at).where(
            ReflectionLog.run_id == run_id, ReflectionLog.kind == kind
        ).order_by(ReflectionLog.created_at.desc()).limit(1))


def recent_contents(db: Database, kind: str, limit: int, run_id: str = LIVE_RUN,
                    since: datetime | None = None) -> list[dict[str, Any]]:
    if db.journal is not None:
        return [row["content"] for row in islice(db.journal.book.reflections_newest_first(run_id, kind, since), limit)]
    query = select(ReflectionLog.content).where(ReflectionLog.run_id == run_id, ReflectionLog.kind == kind)
    if since is not None:
        query = query.where(ReflectionLog.created_at > since)
    with db.session() as session:
        return list(session.scalars(query.order_by(ReflectionLog.created_at.desc()).limit(limit)).all())
