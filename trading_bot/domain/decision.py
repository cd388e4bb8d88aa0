"""What the brain decides. Numbers are left unconstrained here on purpose: the risk gate, not the
model class, is where NaN, infinity, negative or oversized values are caught and explained."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict


class Action(StrEnum):
    OPEN_LONG = "OPEN_LONG"
    OPEN_SHORT = "OPEN_SHORT"
    CLOSE = "CLOSE"
    HOLD = "HOLD"

    @property
    def opens(self) -> bool:
        return self in (Action.OPEN_LONG, Action.OPEN_SHORT)

    @property
    def position_side(self) -> Literal["long", "short"] | None:
        sides: dict[Action, Literal["long", "short"]] = {Action.OPEN_LONG: "long", Action.OPEN_SHORT: "short"}
        return sides.get(self)


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    inst_id: str
    action: Action
    size_pct: Decimal = Decimal(0)  # order notional as a percentage of equity (4 = 4 %)
    leverage: Decimal = Decimal(1)
    entry_type: Literal["market", "limit"] = "market"
    entry_price: Decimal | None = None  # limit price, or the reference price the analyst saw
    stop_loss: Decimal | None = None  # trigger price
    take_profit: Decimal | None = None  # trigger price
    strategy: str = ""
    confidence: float = 0.0
    reasoning: str = ""
    invalidation: str = ""
    time_horizon: str = ""
    model: str = ""  # e.g. claude-opus-4-6 or rules-v1
    cycle_id: str | None = None

    @classmethod
    def hold(cls, inst_id: str, reasoning: str, model: str = "", cycle_id: str | None = None) -> Decision:
        return cls(inst_id=inst_id, action=Action.HOLD, reasoning=reasoning, model=model, cycle_id=cycle_id)
