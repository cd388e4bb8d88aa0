"""Orders, fills, algo (TP/SL) orders, positions and the account, as the bot sees them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from trading_bot.domain.market import Frozen

Side = Literal["buy", "sell"]
PositionSide = Literal["long", "short"]
ExchangePosSide = Literal["long", "short", "net"]
MarginMode = Literal["cross", "isolated"]
OrderType = Literal["market", "limit", "post_only", "ioc", "fok"]
OrderState = Literal["live", "partially_filled", "filled", "canceled", "mmp_canceled"]
AlgoState = Literal["live", "pause", "effective", "canceled", "order_failed", "partially_effective"]

TERMINAL_ORDER_STATES: frozenset[str] = frozenset({"filled", "canceled", "mmp_canceled"})


def opening_side(side: PositionSide) -> Side:
    return "buy" if side == "long" else "sell"


def closing_side(side: PositionSide) -> Side:
    return "sell" if side == "long" else "buy"


class OrderRequest(Frozen):
    """One order with optional attached stop-loss / take-profit (OKX `attachAlgoOrds`)."""

    inst_id: str
    side: Side
    ord_type: OrderType
    size: Decimal  # contracts
    price: Decimal | None = None  # required for limit-like types
    td_mode: MarginMode = "isolated"
    pos_side: ExchangePosSide | None = None  # required in long/short mode
    reduce_only: bool = False
    cl_ord_id: str = Field(pattern=r"^[A-Za-z0-9]{1,32}$")
    tag: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,16}$")
    sl_trigger_px: Decimal | None = None
    tp_trigger_px: Decimal | None = None


class OrderAck(Frozen):
    ord_id: str
    cl_ord_id: str | None
    ts: datetime | None = None


class Order(Frozen):
    ord_id: str
    cl_ord_id: str | None
    inst_id: str
    side: Side
    pos_side: ExchangePosSide
    ord_type: str
    state: OrderState
    size: Decimal
    price: Decimal | None
    avg_px: Decimal | None
    filled: Decimal
    fee: Decimal  # negative = paid (OKX convention)
    pnl: Decimal
    reduce_only: bool = False
    sl_trigger_px: Decimal | None = None
    tp_trigger_px: Decimal | None = None
    created_at: datetime
    updated_at: datetime

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_ORDER_STATES


class Fill(Frozen):
    trade_id: str
    ord_id: str
    cl_ord_id: str | None
    inst_id: str
    side: Side
    pos_side: ExchangePosSide
    price: Decimal
    size: Decimal  # contracts
    fee: Decimal  # negative = paid
    pnl: Decimal  # realised by this fill
    exec_type: Literal["T", "M", ""] = ""
    ts: datetime


class AlgoRequest(Frozen):
    """Stand-alone TP/SL (`conditional` with one trigger, `oco` with both)."""

    inst_id: str
    side: Side
    pos_side: ExchangePosSide | None = None
    td_mode: MarginMode = "isolated"
    size: Decimal | None = None  # None = close the whole position
    sl_trigger_px: Decimal | None = None
    tp_trigger_px: Decimal | None = None
    algo_cl_ord_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,32}$")
    reduce_only: bool = True


class AlgoOrder(Frozen):
    algo_id: str
    algo_cl_ord_id: str | None
    inst_id: str
    ord_type: str  # conditional | oco
    side: Side
    pos_side: ExchangePosSide
    size: Decimal | None
    close_fraction: Decimal | None = None
    sl_trigger_px: Decimal | None
    tp_trigger_px: Decimal | None
    state: AlgoState
    created_at: datetime


class Position(Frozen):
    inst_id: str
    side: PositionSide
    pos_side: ExchangePosSide
    mgn_mode: MarginMode
    size: Decimal  # contracts, always positive
    avg_px: Decimal
    mark_px: Decimal | None
    upl: Decimal
    realized_pnl: Decimal  # since open, incl. fees and funding as OKX reports it
    fee: Decimal  # accumulated, negative = paid
    funding_fee: Decimal
    margin: Decimal | None
    imr: Decimal | None
    liq_px: Decimal | None
    leverage: Decimal
    pos_id: str | None = None
    created_at: datetime
    updated_at: datetime

    def notional(self, ct_val: Decimal, price: Decimal | None = None) -> Decimal:
        px = price if price is not None else (self.mark_px or self.avg_px)
        return self.size * ct_val * px


class Account(Frozen):
    """USDT account summary (futures mode)."""

    ccy: str = "USDT"
    equity: Decimal
    available: Decimal
    frozen: Decimal  # margin in use + held by pending orders
    upl: Decimal
    ts: datetime
