"""Messages on the Redis streams (see storage/streams.py). Serialised as JSON."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.domain.decision import Decision
from trading_bot.domain.orders import Fill, Order, Position, PositionSide
from trading_bot.domain.snapshot import Severity

CloseReason = Literal["take_profit", "stop_loss", "manual", "liquidation", "unknown"]


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Alert(Event):
    severity: Severity
    kind: str  # e.g. budget_80, bot_halted, price_move; cooldown and dedup key with inst_id
    message: str
    inst_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    ts: datetime


class FillEvent(Event):
    fill: Fill
    cycle_id: str | None = None


class OrderEvent(Event):
    order: Order
    cycle_id: str | None = None


class PositionEvent(Event):
    inst_id: str
    side: PositionSide | None
    position: Position | None  # None = flat
    ts: datetime


class PositionClosed(Event):
    inst_id: str
    side: PositionSide
    size: Decimal
    entry_px: Decimal
    exit_px: Decimal | None
    realized_pnl: Decimal  # price PnL only
    fees: Decimal  # negative = paid
    funding: Decimal
    opened_at: datetime | None
    closed_at: datetime
    pos_id: str | None = None
    close_reason: CloseReason = "unknown"

    @property
    def net_pnl(self) -> Decimal:
        return self.realized_pnl + self.fees + self.funding


class DecisionEvent(Event):
    cycle_id: str
    decision: Decision
    approved: bool | None = None
    rule: str | None = None
    ts: datetime
