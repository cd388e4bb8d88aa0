"""What the gate answers: a `Verdict` naming the rule that decided, a human reason and the numbers,
and for an approved entry the exact `SizedOrder` that was checked (execute sends precisely that)."""

from __future__ import annotations

import decimal
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from trading_bot.domain.decision import Action
from trading_bot.domain.market import Frozen
from trading_bot.domain.orders import MarginMode, OrderRequest, PositionSide, Side, opening_side
from trading_bot.risk.status import BotState


class Rule(StrEnum):
    # approvals
    HOLD = "hold"
    CLOSE = "close"
    ALL_LIMITS = "all_limits"
    # rejections, in the order the gate checks them
    INVALID_NUMBER = "invalid_number"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    BOT_STATE = "bot_state"
    DRAWDOWN = "drawdown"
    DAILY_LOSS = "daily_loss"
    CONSECUTIVE_LOSSES = "consecutive_losses"
    STALE_RISK_STATE = "stale_risk_state"
    STALE_SNAPSHOT = "stale_snapshot"
    STALE_MARKET_DATA = "stale_market_data"
    LEVERAGE = "leverage"
    TRADE_NOTIONAL = "trade_notional"
    ENTRY_DEVIATION = "entry_deviation"
    STOP_LOSS_MISSING = "stop_loss_missing"
    TAKE_PROFIT_MISSING = "take_profit_missing"
    STOP_LOSS_SIDE = "stop_loss_side"
    TAKE_PROFIT_SIDE = "take_profit_side"
    STOP_LOSS_DISTANCE = "stop_loss_distance"
    REWARD_RISK = "reward_risk"
    LIQUIDATION = "liquidation"
    SIZE_TOO_SMALL = "size_too_small"
    SIZE_TOO_LARGE = "size_too_large"
    MARGIN = "margin"
    OPPOSING_POSITION = "opposing_position"
    DUPLICATE_POSITION = "duplicate_position"
    OPEN_POSITIONS = "open_positions"
    TOTAL_EXPOSURE = "total_exposure"
    CORRELATION = "correlation"
    INTERNAL_ERROR = "internal_error"


Numbers = dict[str, Any]  # Decimal, int, float, str or None; Decimals serialise as strings
SHOWN_PLACES = Decimal("1e-10")


def tidy(numbers: Numbers) -> Numbers:
    """Numbers for people and the database: computed Decimals (ratios, percentages) cut to 10
    decimal places; decisions are made on the exact values before this."""
    return {key: _tidy(value) for key, value in numbers.items()}


def _tidy(value: Any) -> Any:
    exponent = value.as_tuple().exponent if isinstance(value, Decimal) else None
    if isinstance(value, Decimal) and value.is_finite() and isinstance(exponent, int) and exponent < -10:
        return value.quantize(SHOWN_PLACES, context=decimal.Context(prec=60))
    return value


class Finding(Frozen):
    """One rule's objection."""

    rule: Rule
    reason: str
    numbers: Numbers = {}


class Escalation(Frozen):
    """A state change the account's numbers call for (applied by the state service, not the gate)."""

    to_state: BotState
    rule: Rule
    reason: str
    until: datetime | None = None
    numbers: Numbers = {}


class SizedOrder(Frozen):
    """The entry exactly as checked: contracts rounded down to lotSz, prices rounded to tickSz."""

    inst_id: str
    side: PositionSide
    ord_type: Literal["market", "limit"]
    contracts: Decimal
    price: Decimal | None  # limit price; None for market orders
    stop_loss: Decimal  # trigger price
    take_profit: Decimal  # trigger price
    leverage: Decimal
    entry_ref: Decimal  # the pessimistic entry the distances were measured from
    valuation_px: Decimal  # the price the notional was valued at (highest of mark, last, limit)
    notional: Decimal  # USDT: contracts × ctVal × valuation_px
    margin: Decimal  # USDT: notional / leverage

    @property
    def order_side(self) -> Side:
        return opening_side(self.side)

    def to_request(
        self, cl_ord_id: str, td_mode: MarginMode, net_mode: bool = False, tag: str | None = None
    ) -> OrderRequest:
        return OrderRequest(
            inst_id=self.inst_id,
            side=self.order_side,
            ord_type=self.ord_type,
            size=self.contracts,
            price=self.price,
            td_mode=td_mode,
            pos_side="net" if net_mode else self.side,
            cl_ord_id=cl_ord_id,
            tag=tag,
            sl_trigger_px=self.stop_loss,
            tp_trigger_px=self.take_profit,
        )


class Verdict(Frozen):
    approved: bool
    rule: Rule
    reason: str
    numbers: Numbers = {}
    inst_id: str
    action: Action
    order: SizedOrder | None = None  # set exactly when an entry is approved
    escalation: Escalation | None = None
    checked_at: datetime
