"""What explains one decision cycle (`/why`): the cycle row with its screener verdicts, risk
rejections and LLM calls. Reads only; the pipeline writes these rows (repos/cycles.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, LlmCall, RiskRejection, ScreenerLog
from trading_bot.storage.repos.cycles import get_cycle


@dataclass(frozen=True)
class ScreenVerdict:
    model: str
    signal: bool
    reason: str
    bypass_reason: str | None
    parse_error: bool
    shadow_analysed: bool
    analyst_action: str | None


@dataclass(frozen=True)
class Rejection:
    ts: datetime
    rule: str
    reason: str
    numbers: dict[str, Any]


@dataclass(frozen=True)
class CallLine:
    purpose: str
    model: str
    cost_usd: Decimal
    latency_ms: int
    input_tokens: int
    output_tokens: int
    error: str | None


@dataclass(frozen=True)
class CycleStory:
    cycle: DecisionCycle  # detached row (repos/cycles.get_cycle)
    screens: list[ScreenVerdict] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    calls: list[CallLine] = field(default_factory=list)

    @property
    def calls_cost(self) -> Decimal:
        return sum((c.cost_usd for c in self.calls), Decimal(0))


def cycle_story(db: Database, cycle_id: str) -> CycleStory | None:
    """The cycle with everything recorded about it, or None when no such cycle exists."""
    cycle = get_cycle(db, cycle_id)
    if cycle is None:
        return None
    with db.session() as session:
        screens = [ScreenVerdict(s.model, s.signal, s.reason, s.bypass_reason, s.parse_error, s.shadow_analysed,
                                 s.analyst_action)
                   for s in session.scalars(select(ScreenerLog).where(ScreenerLog.cycle_id == cycle_id)
                                            .order_by(ScreenerLog.id))]
        rejections = [Rejection(r.ts, r.rule, r.reason, r.numbers)
                      for r in session.scalars(select(RiskRejection).where(RiskRejection.cycle_id == cycle_id)
                                               .order_by(RiskRejection.id))]
        calls = [CallLine(c.purpose, c.model, c.cost_usd, c.latency_ms, c.input_tokens, c.output_tokens, c.error)
                 for c in session.scalars(select(LlmCall).where(LlmCall.cycle_id == cycle_id).order_by(LlmCall.id))]
    return CycleStory(cycle, screens, rejections, calls)
