"""The newest market time the database has seen: the stand-in clock while the simulator is down."""

from __future__ import annotations

from datetime import UTC, datetime

from trading_bot.storage.db import Database
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.storage.repos.cycles import recent_cycles


def last_recorded_time(db: Database, run_id: str) -> datetime:
    """The newest account observation or cycle start of `run_id`, else wall time."""
    latest = equity_repo.latest_at(db, datetime.max.replace(tzinfo=UTC), run_id)
    cycle = next(iter(recent_cycles(db, 1, run_id=run_id)), None)
    seen = [t for t in (latest.ts if latest else None, cycle.started_at if cycle else None) if t is not None]
    return max(seen) if seen else datetime.now(UTC)
