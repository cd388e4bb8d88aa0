"""`playbook_versions`: every playbook version with its parent and change log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from trading_bot.storage.db import Database
from trading_bot.storage.models import PlaybookVersion


@dataclass(frozen=True)
class PlaybookRow:
    version: int
    parent_version: int | None
    content: dict[str, Any]
    change_log: list[Any]
    created_by: str
    created_at: datetime


def insert(db: Database, version: int, parent: int | None, content: dict[str, Any], change_log: list[str],
           created_by: str, now: datetime) -> bool:
    """Store a version; False when that version exists already (another writer stored it first)."""
    stmt = pg_insert(PlaybookVersion).values(version=version, parent_version=parent, content=content,
                                             change_log=list(change_log), created_by=created_by, created_at=now)
    with db.session() as session:
        stored = session.execute(stmt.on_conflict_do_nothing(index_elements=["version"])
                                 .returning(PlaybookVersion.version)).first()
    return stored is not None


def insert_first(db: Database, content: dict[str, Any], change_log: list[str], created_by: str,
                 now: datetime) -> None:
    """Store version 1 unless it exists: concurrent first cycles each try, one row results."""
    stmt = pg_insert(PlaybookVersion).values(version=1, parent_version=None, content=content,
                                             change_log=list(change_log), created_by=created_by, created_at=now)
    with db.session() as session:
        session.execute(stmt.on_conflict_do_nothing(index_elements=["version"]))


def latest(db: Database) -> PlaybookRow | None:
    with db.session() as session:
        row = session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.version.desc()).limit(1)).first()
        return _row(row) if row is not None else None


def all_versions(db: Database) -> list[PlaybookRow]:
    with db.session() as session:
        return [_row(r) for r in session.scalars(select(PlaybookVersion).order_by(PlaybookVersion.version))]


def _row(row: PlaybookVersion) -> PlaybookRow:
    return PlaybookRow(row.version, row.parent_version, row.content, row.change_log, row.created_by, row.created_at)
