"""The playbook: the bot's versioned trading knowledge (regime rules, strategies, lessons, confidence
calibration). Reflection may rewrite it; nothing in it can contain or change a risk limit: every
model forbids unknown fields, sizes are fractions of what the risk gate allows (never absolute), and
text that tries to restate a limit is rejected."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from trading_bot.domain.snapshot import RegimeLabel

REGIMES: tuple[RegimeLabel, ...] = ("trending_up", "trending_down", "ranging", "volatile")
MAX_LESSONS = 40
MAX_TEXT = 400
STRATEGY_NAME = r"^[a-z][a-z0-9_]{2,40}$"

# Phrases that restate or move a risk limit ("use 10x leverage", "risk 8% per trade", "disable the
# stop-loss", "daily loss limit to 5%"). Limits live in risk/limits.py and only there.
_LIMIT_TALK = re.compile(
    r"(\b\d+(\.\d+)?\s*x\b)"
    r"|(leverage\s+(of|to|up to|at)\s+\d)"
    r"|((risk|stake|size|exposure|drawdown|daily loss)\D{0,20}\d+(\.\d+)?\s*%)"
    r"|((no|without|disable|remove|skip|widen)\s+(the\s+)?stop)"
    r"|(risk\s+limit)",
    re.I,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def check_text(text: str) -> str:
    if _LIMIT_TALK.search(text):
        raise ValueError(f"playbook text may not state or change a risk limit: {text[:120]!r}")
    return text


class RegimeRule(_Model):
    stance: Literal["trend_follow", "mean_revert", "stand_aside"]
    strategies: list[str] = Field(default_factory=list)  # names from Playbook.strategies
    guidance: str = Field(default="", max_length=MAX_TEXT)

    _text = field_validator("guidance")(check_text)


class Strategy(_Model):
    name: str = Field(pattern=STRATEGY_NAME)
    description: str = Field(max_length=MAX_TEXT)
    regimes: list[RegimeLabel]
    direction: Literal["long", "short", "both"] = "both"
    entry: list[str] = Field(min_length=1, max_length=8)
    exit: list[str] = Field(min_length=1, max_length=8)
    stop_atr_multiple: float = Field(ge=0.5, le=4.0)  # stop distance in ATRs (the gate caps it in %)
    reward_risk: float = Field(ge=2.0, le=6.0)  # take-profit distance / stop distance
    enabled: bool = True

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        return check_text(value)

    @field_validator("entry", "exit")
    @classmethod
    def _criteria(cls, values: list[str]) -> list[str]:
        for value in values:
            if len(value) > MAX_TEXT:
                raise ValueError(f"criterion longer than {MAX_TEXT} characters")
            check_text(value)
        return values


class Lesson(_Model):
    text: str = Field(min_length=3, max_length=MAX_TEXT)
    source: str = Field(max_length=64)  # e.g. trade:123, reflection:7
    regime: RegimeLabel | None = None
    strategy: str | None = Field(default=None, pattern=STRATEGY_NAME)  # a strategy's name, not free text
    created_at: datetime

    _text = field_validator("text")(check_text)

    @field_validator("strategy", mode="before")
    @classmethod
    def _no_strategy(cls, value: object) -> object:
        return None if value == "" else value  # models write "" as often as null


class ConfidenceBand(_Model):
    min_confidence: float = Field(ge=0, le=1)
    size_fraction: float = Field(gt=0, le=1)  # fraction of the largest size the risk gate allows


class Calibration(_Model):
    min_confidence_to_trade: float = Field(ge=0.5, le=1)
    bands: list[ConfidenceBand] = Field(min_length=1, max_length=5)

    @model_validator(mode="after")
    def _ascending(self) -> Calibration:
        levels = [band.min_confidence for band in self.bands]
        if levels != sorted(set(levels)):
            raise ValueError("confidence bands must have strictly ascending min_confidence")
        if levels[0] < self.min_confidence_to_trade:
            raise ValueError("the lowest band starts below min_confidence_to_trade")
        return self

    def size_fraction(self, confidence: float) -> float:
        """Fraction of the maximum size for a confidence; 0 below the trading threshold."""
        fraction = 0.0
        for band in self.bands:
            if confidence >= band.min_confidence:
                fraction = band.size_fraction
        return fraction


class Playbook(_Model):
    version: int = Field(ge=1)
    regimes: dict[RegimeLabel, RegimeRule]
    strategies: list[Strategy] = Field(min_length=1, max_length=12)
    lessons: list[Lesson] = Field(default_factory=list, max_length=MAX_LESSONS)
    calibration: Calibration
    notes: str = Field(default="", max_length=2000)

    _notes = field_validator("notes")(check_text)

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        missing = [regime for regime in REGIMES if regime not in self.regimes]
        if missing:
            raise ValueError(f"regime rules missing for: {', '.join(missing)}")
        names = [strategy.name for strategy in self.strategies]
        if len(names) != len(set(names)):
            raise ValueError("strategy names must be unique")
        for regime, rule in self.regimes.items():
            unknown = set(rule.strategies) - set(names)
            if unknown:
                raise ValueError(f"regime {regime} names unknown strategies: {', '.join(sorted(unknown))}")
        return self

    def strategy(self, name: str) -> Strategy | None:
        return next((s for s in self.strategies if s.name == name), None)

    def strategies_for(self, regime: RegimeLabel) -> list[Strategy]:
        rule = self.regimes[regime]
        found = (self.strategy(name) for name in rule.strategies)
        return [s for s in found if s is not None and s.enabled and regime in s.regimes]
