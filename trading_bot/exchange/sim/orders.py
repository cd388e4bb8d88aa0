"""The engine's mutable records (orders, algo orders, fills, positions), their ids, and its typed
requests.

Money and sizes are Decimal; times are market-clock milliseconds. `Reject` carries OKX's real
code and message so every front end (REST, WebSocket, in-process) reports the same rejection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)
MARKET_PX = Decimal(-1)  # OKX: an algo order price of -1 executes at market
MONEY_QUANTUM = Decimal("1e-12")  # every cash movement is rounded here, so sums stay exact
PRICE_QUANTUM = Decimal("1e-10")  # average entry prices


def money(amount: Decimal) -> Decimal:
    return amount.quantize(MONEY_QUANTUM)


def price_q(price: Decimal) -> Decimal:
    return price.quantize(PRICE_QUANTUM).normalize()


class Reject(Exception):  # noqa: N818 - OKX's word
    """A refused request: `code`/`msg` as OKX answers; `http` for parameter-level errors."""

    def __init__(self, code: str, msg: str, http: int = 200) -> None:
        super().__init__(f"{code}: {msg}")
        self.code, self.msg, self.http = code, msg, http


def param_error(name: str) -> Reject:
    return Reject("51000", f"Parameter {name} error", 400)


def param_missing(name: str) -> Reject:
    return Reject("50014", f"Parameter {name} can not be empty.", 400)


@dataclass(slots=True)
class AttachSpec:
    """One entry of `attachAlgoOrds`; becomes a conditional/oco algo when the parent fills."""

    attach_algo_id: str = ""
    attach_algo_cl_ord_id: str = ""
    tp_trigger_px: Decimal | None = None
    tp_ord_px: Decimal = MARKET_PX
    tp_trigger_px_type: str = "last"
    sl_trigger_px: Decimal | None = None
    sl_ord_px: Decimal = MARKET_PX
    sl_trigger_px_type: str = "last"


@dataclass(slots=True)
class OrderParams:
    inst_id: str
    td_mode: str
    side: str
    ord_type: str
    sz: Decimal
    px: Decimal | None = None
    pos_side: str = ""  # "" = not given
    reduce_only: bool = False
    cl_ord_id: str = ""
    tag: str = ""
    attach: list[AttachSpec] = field(default_factory=list)


@dataclass(slots=True)
class AlgoParams:
    inst_id: str
    td_mode: str
    side: str
    ord_type: str  # conditional | oco | trigger
    sz: Decimal | None = None
    close_fraction: str = ""  # "1" = the whole position
    pos_side: str = ""
    reduce_only: bool = False
    algo_cl_ord_id: str = ""
    tag: str = ""
    tp_trigger_px: Decimal | None = None
    tp_ord_px: Decimal | None = None
    tp_trigger_px_type: str = "last"
    sl_trigger_px: Decimal | None = None
    sl_ord_px: Decimal | None = None
    sl_trigger_px_type: str = "last"
    trigger_px: Decimal | None = None
    order_px: Decimal | None = None
    trigger_px_type: str = "last"
    attach: list[AttachSpec] = field(default_factory=list)


@dataclass(slots=True)
class SimOrder:
    ord_id: str
    cl_ord_id: str
    tag: str
    inst_id: str
    td_mode: str
    side: str
    pos_side: str
    ord_type: str
    sz: Decimal
    px: Decimal | None
    reduce_only: bool
    lever: Decimal
    c_time: int
    u_time: int
    state: str = "live"
    acc_fill_sz: Decimal = ZERO
    fill_notional: Decimal = ZERO  # Σ price × contracts, for avgPx
    fee: Decimal = ZERO
    pnl: Decimal = ZERO
    frozen: Decimal = ZERO  # margin held while the order rests
    attach: list[AttachSpec] = field(default_factory=list)
    attach_active: bool = False
    algo_id: str = ""
    algo_cl_ord_id: str = ""
    category: str = "normal"
    cancel_source: str = ""
    # the latest fill (WebSocket `orders` pushes and GET order report it)
    fill_px: Decimal | None = None
    fill_sz: Decimal = ZERO
    fill_fee: Decimal = ZERO
    fill_pnl: Decimal = ZERO
    fill_time: int = 0
    trade_id: str = ""
    exec_type: str = ""

    @property
    def avg_px(self) -> Decimal | None:
        return self.fill_notional / self.acc_fill_sz if self.acc_fill_sz else None

    @property
    def remaining(self) -> Decimal:
        return self.sz - self.acc_fill_sz

    @property
    def is_live(self) -> bool:
        return self.state in ("live", "partially_filled")


@dataclass(slots=True)
class SimAlgo:
    algo_id: str
    algo_cl_ord_id: str
    inst_id: str
    td_mode: str
    side: str
    pos_side: str
    ord_type: str
    sz: Decimal | None
    close_fraction: str
    reduce_only: bool
    tag: str
    lever: Decimal
    c_time: int
    u_time: int
    tp_trigger_px: Decimal | None = None
    tp_ord_px: Decimal | None = None
    tp_trigger_px_type: str = ""
    sl_trigger_px: Decimal | None = None
    sl_ord_px: Decimal | None = None
    sl_trigger_px_type: str = ""
    trigger_px: Decimal | None = None
    order_px: Decimal | None = None
    trigger_px_type: str = ""
    trigger_up: bool = True  # `trigger` orders: fire when the price rises to triggerPx (else falls)
    attach: list[AttachSpec] = field(default_factory=list)
    parent_ord_id: str = ""  # attached TP/SL: the order it belongs to
    state: str = "live"
    trigger_time: int = 0
    ord_id: str = ""  # the order placed when it fired
    actual_px: Decimal | None = None
    actual_sz: Decimal = ZERO
    actual_side: str = ""  # tp | sl
    fail_code: str = ""
    last_px: Decimal | None = None


@dataclass(slots=True)
class SimFill:
    trade_id: str
    bill_id: str
    ord_id: str
    cl_ord_id: str
    tag: str
    inst_id: str
    side: str
    pos_side: str
    px: Decimal
    sz: Decimal
    fee: Decimal
    fee_rate: Decimal
    pnl: Decimal
    exec_type: str
    ts: int


@dataclass(slots=True)
class SimPosition:
    inst_id: str
    mgn_mode: str
    pos_side: str  # net | long | short
    pos_id: str
    lever: Decimal
    c_time: int
    u_time: int
    qty: Decimal = ZERO  # signed contracts: + long, - short
    avg_px: Decimal = ZERO
    margin: Decimal = ZERO  # isolated only
    pnl: Decimal = ZERO  # closed-trade PnL since open
    fee: Decimal = ZERO
    funding_fee: Decimal = ZERO
    liq_penalty: Decimal = ZERO
    trade_id: str = ""
    peak_qty: Decimal = ZERO  # the largest size since it opened (what a close event reports)
    was_long: bool = True  # the side being reduced (a net position's side is gone once it is flat)

    @property
    def realized_pnl(self) -> Decimal:
        return self.pnl + self.fee + self.funding_fee + self.liq_penalty

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.inst_id, self.mgn_mode, self.pos_side)


@dataclass
class ClosedPosition:
    """A position that went to zero, with the totals it accumulated (kept for in-process readers)."""

    inst_id: str
    pos_side: str
    side: str  # long | short
    pos_id: str
    size: Decimal
    entry_px: Decimal
    exit_px: Decimal | None
    pnl: Decimal  # price PnL (a liquidation's loss beyond it is added as it is booked)
    fee: Decimal
    funding: Decimal
    opened_ms: int
    closed_ms: int
    reason: str  # take_profit | stop_loss | liquidation | manual


ID_BASES = {"order": 2_900_000_000_000_000_000, "algo": 3_100_000_000_000_000_000, "trade": 1_500_000_000,
            "bill": 3_500_000_000_000_000_000, "pos": 3_300_000_000_000_000_000}


@dataclass
class Ids:
    """OKX-sized ids counted up per kind of record (`counters` is what a saved state keeps)."""

    counters: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ID_BASES, 0))

    def next(self, kind: str) -> str:
        self.counters[kind] += 1
        return str(ID_BASES[kind] + self.counters[kind])

    def attach(self, specs: list[AttachSpec]) -> list[AttachSpec]:
        """`specs` with their attachAlgoId: the id each TP/SL carries once its parent has filled."""
        for spec in specs:
            spec.attach_algo_id = spec.attach_algo_id or self.next("algo")
        return specs
