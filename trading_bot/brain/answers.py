"""The JSON answers the models must give (structured outputs). Their JSON schema is sent with each
call (`anthropic.transform_schema`) and the answer is validated against the same pydantic model, so a
schema-invalid answer is caught here and becomes a HOLD, never a trade.

The answer carries no risk-limit constraints on purpose: limits are the risk gate's job, and an
oversized order must reach the gate (and be rejected there with the rule that caught it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

import anthropic
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.playbook import Calibration, Lesson, Playbook, RegimeRule, Strategy
from trading_bot.domain.snapshot import RegimeLabel

Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        return anthropic.transform_schema(cls)


class ScreenAnswer(_Answer):
    signal: bool
    reason: str = Field(max_length=400)


class AnalysisAnswer(_Answer):
    action: Action
    size_pct: Number
    leverage: Number
    entry_type: Literal["market", "limit"]
    entry_price: Number | None
    stop_loss: Number | None
    take_profit: Number | None
    strategy: str = Field(max_length=64)
    confidence: float = Field(ge=0, le=1)
    reasoning: str = Field(max_length=2000)
    invalidation: str = Field(max_length=500)
    time_horizon: str = Field(max_length=64)

    def to_decision(self, inst_id: str, model: str, cycle_id: str | None) -> Decision:
        return Decision(inst_id=inst_id, model=model, cycle_id=cycle_id, **self.model_dump())


class ReviewAnswer(_Answer):
    lesson: str = Field(min_length=3, max_length=400)
    went_well: str = Field(max_length=600)
    went_wrong: str = Field(max_length=600)
    mistake: Literal["none", "entry", "exit", "sizing", "regime", "news", "unknown"]


class RegimeRules(_Answer):
    """The four regime rules as explicit properties (structured outputs allow no free-form maps)."""

    trending_up: RegimeRule
    trending_down: RegimeRule
    ranging: RegimeRule
    volatile: RegimeRule


class DraftLesson(_Answer):
    text: str = Field(min_length=3, max_length=400)
    regime: RegimeLabel | None
    strategy: str | None


class ReflectAnswer(_Answer):
    changes: list[str] = Field(min_length=1, max_length=10)
    regimes: RegimeRules
    strategies: list[Strategy]
    lessons: list[DraftLesson]
    calibration: Calibration
    notes: str = Field(max_length=2000)

    @model_validator(mode="after")
    def _valid_playbook(self) -> ReflectAnswer:
        self.to_playbook(version=1, now=datetime(2000, 1, 1, tzinfo=UTC), source="validation")
        return self

    def to_playbook(self, version: int, now: datetime, source: str) -> Playbook:
        lessons = [Lesson(text=d.text, regime=d.regime, strategy=d.strategy, source=source, created_at=now)
                   for d in self.lessons]
        # validated as Playbook(...) would: the regimes' rules are rebuilt from their dump
        return Playbook.model_validate({
            "version": version, "regimes": self.regimes.model_dump(), "strategies": self.strategies,
            "lessons": lessons, "calibration": self.calibration, "notes": self.notes,
        })
