"""`research_cache`: research answers with their sources, reused until `expires_at`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select

from trading_bot.storage.db import Database, affected_rows
from trading_bot.storage.models import ResearchCache


@dataclass(frozen=True)
class CachedResearch:
    query_hash: str
    query: str
    instrument: str | None
    trigger: str | None
    model: str
    answer: str
    sources: list[Any]
    llm_call_id: int | None
    cost_usd: Decimal
    retrieved_at: datetime
    expires_at: datetime


def insert(db: Database, entry: CachedResearch) -> None:
    with db.session() as session:
        session.add(ResearchCache(**entry.__dict__))


def fresh(db: Database, query_hash: str, now: datetime) -> CachedResearch | None:
    """The newest entry with this key retrieved by `now` and not expired at `now`."""
    query = (
        select(ResearchCache)
        .where(ResearchCache.query_hash == query_hash, ResearchCache.retrieved_at <= now,
               ResearchCache.expires_at > now)
        .order_by(ResearchCache.retrieved_at.desc())
        .limit(1)
    )
    with db.session() as session:
        row = session.scalars(query).first()
        if row is None:
            return None
        return CachedResearch(**{name: getattr(row, name) for name in CachedResearch.__dataclass_fields__})


def purge_expired(db: Database, now: datetime) -> int:
    with db.session() as session:
        return affected_rows(session.execute(delete(ResearchCache).where(ResearchCache.expires_at <= now)))
