"""`risk_rejections`: every decision the gate refused, with the rule, reason and numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, RiskRejection


def insert(db: Database, *, instrument: str, ts: datetime, rule: str, reason: str, numbers: dict[str, Any],
           decision: dict[str, Any], cycle_id: str | None, run_id: str = LIVE_RUN) -> int:
    row = RiskRejection(run_id=run_id, cycle_id=cycle_id, instrument=instrument, ts=ts, rule=rule, reason=reason,
                        numbers=numbers, decision=decision)
    with db.session() as session:
        session.add(row)
        session.flush()
        return int(row.id)


def recent(db: Database, limit: int = 20, run_id: str = LIVE_RUN) -> list[dict[str, Any]]:
    query = (select(RiskRejection).where(RiskRejection.run_id == run_id)
             .order_by(RiskRejection.ts.desc(), RiskRejection.id.desc()).limit(limit))
    with db.session() as session:
        return [{"id": r.id, "cycle_id": r.cycle_id, "instrument": r.instrument, "ts": r.ts, "rule": r.rule,
                 "reason": r.reason, "numbers": r.numbers, "decision": r.decision} for r in session.scalars(query)]


def count_by_rule(db: Database, since: datetime, run_id: str = LIVE_RUN) -> dict[str, int]:
    query = (select(RiskRejection.rule, func.count()).where(RiskRejection.run_id == run_id, RiskRejection.ts >= since)
             .group_by(RiskRejection.rule))
    with db.session() as session:
        return {rule: int(n) for rule, n in session.execute(query)}
