"""Reading `decision_cycles` in fault tests and the soak: outcomes counted, the first normal cycle
after a moment (the bot recovered), a trade opened."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from tests.kit.waiting import wait_until
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle

FAILED = frozenset({"error", "missed", "abandoned"})


def rows(db: Database) -> list[DecisionCycle]:
    with db.session() as session:
        return list(session.scalars(select(DecisionCycle).order_by(DecisionCycle.scheduled_for)))


def outcomes(db: Database) -> Counter[str]:
    return Counter(row.outcome or f"running ({row.stage})" for row in rows(db))


def normal_since(db: Database, since: datetime) -> DecisionCycle | None:
    """The first cycle started after `since` that ran to an ordinary end."""
    for row in rows(db):
        if row.started_at > since and row.finished_at is not None and row.outcome not in FAILED:
            return row
    return None


def wait_for_normal_cycle(db: Database, since: datetime, timeout: float,
                          said: Callable[[], str] | None = None) -> DecisionCycle:
    wait_until(lambda: normal_since(db, since) is not None, timeout, f"a normal cycle after {since:%H:%M:%S}",
               said or (lambda: describe(db)), interval=0.5)
    row = normal_since(db, since)
    assert row is not None
    return row


def filled(db: Database) -> list[DecisionCycle]:
    return [row for row in rows(db) if row.outcome == "filled"]


def describe(db: Database) -> str:
    return "\n".join(f"{r.scheduled_for:%H:%M:%S} {r.outcome or r.stage} {(r.error or '')[:120]}" for r in rows(db))
