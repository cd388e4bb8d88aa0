"""OKX v5 JSON (REST `data` items and WebSocket push items) → domain objects with Decimal values.

The one place that knows OKX's field names. Every function takes one item (a dict or a candle
row) and raises `ParseError` when a field we rely on is missing or malformed; fields OKX leaves
`""` become `None` (see `values.py`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypedDict, get_args

from pydantic import ValidationError

from trading_bot.domain.market import (
    BookLevel,
    Candle,
    FundingRate,
    Instrument,
    MarkPrice,
    OpenInterest,
    OrderBook,
    Ticker,
    invalid_candle,
)
from trading_bot.domain.orders import (
    Account,
    AlgoOrder,
    AlgoState,
    ExchangePosSide,
    Fill,
    MarginMode,
    Order,
    OrderAck,
    OrderState,
    Position,
    PositionSide,
    Side,
)
from trading_bot.exchange.okx.values import (
    ParseError,
    dec,
    dec_or,
    dec_or_zero,
    flag,
    is_blank,
    member,
    ms_to_datetime,
    one_of,
    opt_dec,
    opt_text,
    opt_ts,
    text,
    to_decimal,
    ts,
)

Item = Mapping[str, Any]

# The allowed values are the domain's Literals, so a parsed value is typed as one of them.
ORDER_STATES: tuple[OrderState, ...] = get_args(OrderState)
ALGO_STATES: tuple[AlgoState, ...] = get_args(AlgoState)
SIDES: tuple[Side, ...] = get_args(Side)
POS_SIDES: tuple[ExchangePosSide, ...] = get_args(ExchangePosSide)
MARGIN_MODES: tuple[MarginMode, ...] = get_args(MarginMode)
EXEC_TYPES: tuple[Literal["T", "M"], ...] = ("T", "M")
ONE = Decimal(1)


def _item(value: Any) -> Item:
    if not isinstance(value, Mapping):
        raise ParseError(f"expected an object, got {type(value).__name__}")
    return value


def pos_side(item: Item) -> ExchangePosSide:
    """`long`/`short`/`net`; OKX leaves it `""` for spot and for some pushes (= net)."""
    value = opt_text(item, "posSide") or "net"
    found = member(value, POS_SIDES)
    if found is None:
        raise ParseError(f"posSide {value!r} is not long, short or net")
    return found


class _Sides(TypedDict):
    side: Side
    pos_side: ExchangePosSide


class _OrderRef(_Sides):
    """The fields that name an order and its direction, common to orders and fills."""

    ord_id: str
    cl_ord_id: str | None
    inst_id: str


class _Lifetime(TypedDict):
    created_at: datetime
    updated_at: datetime


def _sides(item: Item) -> _Sides:
    return {"side": one_of(item, "side", SIDES), "pos_side": pos_side(item)}


def _order_ref(item: Item) -> _OrderRef:
    return {"ord_id": text(item, "ordId"), "cl_ord_id": opt_text(item, "clOrdId"), "inst_id": text(item, "instId"),
            **_sides(item)}


def _lifetime(item: Item) -> _Lifetime:
    """cTime, and uTime falling back to it (OKX leaves uTime "" on rows never updated)."""
    return {"created_at": ts(item, "cTime"), "updated_at": opt_ts(item, "uTime") or ts(item, "cTime")}


# --- market data ------------------------------------------------------------------------------
def instrument(raw: Any) -> Instrument:
    item = _item(raw)
    return Instrument(
        inst_id=text(item, "instId"),
        # Spot instruments have no contract: one "contract" is one unit of the base currency.
        ct_val=dec_or(item, "ctVal", ONE),
        ct_val_ccy=opt_text(item, "ctValCcy") or opt_text(item, "baseCcy") or "",
        settle_ccy=opt_text(item, "settleCcy") or opt_text(item, "quoteCcy") or "",
        lot_sz=dec(item, "lotSz"), min_sz=dec(item, "minSz"), tick_sz=dec(item, "tickSz"),
        max_leverage=int(dec_or(item, "lever", ONE)),
        max_mkt_sz=opt_dec(item, "maxMktSz"), max_lmt_sz=opt_dec(item, "maxLmtSz"),
        state=opt_text(item, "state") or "live",
    )


class BadCandle(ParseError):
    """A candle row of a known instrument, timeframe and bar time that cannot be a candle (a field is
    not a number, or the bar breaks the candle rule): the caller logs it with these and moves on."""

    def __init__(self, inst_id: str, timeframe: str, ts: datetime, reason: str) -> None:
        super().__init__(f"{inst_id} {timeframe} bar {ts.isoformat()}: {reason}")
        self.inst_id, self.timeframe, self.ts, self.reason = inst_id, timeframe, ts, reason

    def fields(self) -> dict[str, str]:
        """For the `candle_refused` warning."""
        return {"instrument": self.inst_id, "timeframe": self.timeframe, "ts": self.ts.isoformat(),
                "reason": self.reason}


def candle(row: Any, inst_id: str, timeframe: str) -> Candle:
    """One `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]` row (REST and WS alike). A row
    without a bar time raises ParseError; one with a bar time but bad values raises BadCandle."""
    if not isinstance(row, Sequence) or isinstance(row, str) or len(row) < 9:
        raise ParseError(f"candle row must be a list of 9 fields, got {row!r:.120}")
    opened = ms_to_datetime(row[0], "candle ts")
    try:
        o, h, low, c, vol, vol_ccy, vol_quote = (to_decimal(v, "candle field") for v in row[1:8])
        confirm = str(row[8]).strip()
        if confirm not in ("0", "1"):
            raise ParseError(f"candle confirm flag {row[8]!r} is not 0 or 1")
        return Candle(
            inst_id=inst_id, timeframe=timeframe, ts=opened, open=o, high=h, low=low,
            close=c, volume=vol, volume_ccy=vol_ccy, volume_quote=vol_quote, confirmed=confirm == "1",
        )
    except ParseError as exc:
        raise BadCandle(inst_id, timeframe, opened, str(exc)) from None
    except ValidationError as exc:
        raise BadCandle(inst_id, timeframe, opened, invalid_candle(exc)) from None


def ticker(raw: Any) -> Ticker:
    item = _item(raw)
    return Ticker(
        inst_id=text(item, "instId"),
        last=dec(item, "last"), last_sz=opt_dec(item, "lastSz"),
        bid=opt_dec(item, "bidPx"), bid_sz=opt_dec(item, "bidSz"),
        ask=opt_dec(item, "askPx"), ask_sz=opt_dec(item, "askSz"),
        open_24h=opt_dec(item, "open24h"), high_24h=opt_dec(item, "high24h"), low_24h=opt_dec(item, "low24h"),
        vol_24h=opt_dec(item, "vol24h"), vol_ccy_24h=opt_dec(item, "volCcy24h"),
        ts=ts(item, "ts"),
    )


def _levels(rows: Any, side: str) -> list[BookLevel]:
    if not isinstance(rows, list):
        raise ParseError(f"book {side} must be a list")
    levels = []
    for row in rows:
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) < 2:
            raise ParseError(f"book level must be [px, sz, …], got {row!r:.80}")
        orders = int(to_decimal(row[3], "book orders")) if len(row) > 3 and not is_blank(row[3]) else 0
        levels.append(BookLevel(price=to_decimal(row[0], "book px"), size=to_decimal(row[1], "book sz"), orders=orders))
    return levels


def order_book(raw: Any, inst_id: str) -> OrderBook:
    """REST books and WS books5 items (neither reliably carries instId: the caller knows it)."""
    item = _item(raw)
    return OrderBook(
        inst_id=opt_text(item, "instId") or inst_id,
        bids=_levels(item.get("bids"), "bids"),
        asks=_levels(item.get("asks"), "asks"),
        ts=ts(item, "ts"),
    )


def funding_rate(raw: Any) -> FundingRate:
    item = _item(raw)
    return FundingRate(
        inst_id=text(item, "instId"),
        rate=dec(item, "fundingRate"), next_rate=opt_dec(item, "nextFundingRate"),  # the next is very often ""
        funding_time=ts(item, "fundingTime"), next_funding_time=opt_ts(item, "nextFundingTime"),
        ts=ts(item, "ts"),
    )


def open_interest(raw: Any) -> OpenInterest:
    item = _item(raw)
    return OpenInterest(inst_id=text(item, "instId"), oi=dec(item, "oi"), oi_ccy=dec(item, "oiCcy"),
                        oi_usd=opt_dec(item, "oiUsd"), ts=ts(item, "ts"))


def mark_price(raw: Any) -> MarkPrice:
    item = _item(raw)
    return MarkPrice(inst_id=text(item, "instId"), mark_px=dec(item, "markPx"), ts=ts(item, "ts"))


def server_time(raw: Any) -> datetime:
    return ts(_item(raw), "ts")


# --- account and positions ------------------------------------------------------------------
def account(raw: Any, ccy: str = "USDT") -> Account:
    """The `ccy` line of a balance (REST /account/balance or the WS account channel)."""
    item = _item(raw)
    details = item.get("details") or []
    line = next((_item(d) for d in details if _item(d).get("ccy") == ccy), None)
    stamp = opt_ts(item, "uTime")
    if line is None:  # nothing of that currency in the account
        if stamp is None:
            raise ParseError(f"balance has no {ccy} line and no uTime")
        zero = Decimal(0)
        return Account(ccy=ccy, equity=zero, available=zero, frozen=zero, upl=zero, ts=stamp)
    return Account(
        ccy=ccy,
        equity=dec(line, "eq"),
        available=opt_dec(line, "availBal") or opt_dec(line, "availEq") or Decimal(0),
        frozen=dec_or_zero(line, "frozenBal"), upl=dec_or_zero(line, "upl"),
        ts=opt_ts(line, "uTime") or stamp or ts(item, "uTime"),
    )


@dataclass(frozen=True)
class PositionState:
    """A position row as OKX reports it, including the final push of a closed one (`pos` "0")."""

    inst_id: str
    pos_side: ExchangePosSide
    mgn_mode: MarginMode
    qty: Decimal  # signed in net mode; 0 once closed
    avg_px: Decimal | None
    pnl: Decimal  # price PnL of the closing fills so far
    fee: Decimal  # accumulated, negative = paid
    funding_fee: Decimal
    realized_pnl: Decimal  # pnl + fee + funding (+ liquidation penalty)
    pos_id: str | None
    created_at: datetime
    updated_at: datetime
    raw: Item

    @property
    def side(self) -> PositionSide | None:
        if self.pos_side != "net":
            return self.pos_side
        if self.qty == 0:
            return None
        return "long" if self.qty > 0 else "short"


def position_state(raw: Any) -> PositionState:
    item = _item(raw)
    return PositionState(
        inst_id=text(item, "instId"),
        pos_side=pos_side(item),
        mgn_mode=one_of(item, "mgnMode", MARGIN_MODES),
        qty=dec_or_zero(item, "pos"), avg_px=opt_dec(item, "avgPx"),
        pnl=dec_or_zero(item, "pnl"), fee=dec_or_zero(item, "fee"), funding_fee=dec_or_zero(item, "fundingFee"),
        realized_pnl=dec_or_zero(item, "realizedPnl"),
        pos_id=opt_text(item, "posId"),
        **_lifetime(item),
        raw=item,
    )


def position(raw: Any) -> Position | None:
    """An open position, or None for a row whose size is zero (OKX pushes those once on close)."""
    state = position_state(raw)
    item = state.raw
    side = state.side
    if side is None or state.avg_px is None:
        return None
    return Position(
        inst_id=state.inst_id, side=side, pos_side=state.pos_side, mgn_mode=state.mgn_mode,
        size=abs(state.qty), avg_px=state.avg_px, mark_px=opt_dec(item, "markPx"), upl=dec_or_zero(item, "upl"),
        realized_pnl=state.realized_pnl, fee=state.fee, funding_fee=state.funding_fee,
        margin=opt_dec(item, "margin"), imr=opt_dec(item, "imr"), liq_px=opt_dec(item, "liqPx"),
        leverage=dec_or(item, "lever", ONE),
        pos_id=state.pos_id, created_at=state.created_at, updated_at=state.updated_at,
    )


# --- orders, fills, algo orders ---------------------------------------------------------------
def _attached_trigger(item: Item, key: str) -> Decimal | None:
    """TP/SL trigger of an order: top-level field, or the first attached algo that has it."""
    direct = opt_dec(item, key)
    if direct is not None:
        return direct
    attached = item.get("attachAlgoOrds")
    for algo in attached if isinstance(attached, list) else []:
        value = opt_dec(_item(algo), key)
        if value is not None:
            return value
    return None


def order(raw: Any) -> Order:
    item = _item(raw)
    return Order(
        **_order_ref(item),
        ord_type=text(item, "ordType"), state=one_of(item, "state", ORDER_STATES),
        size=dec(item, "sz"), price=opt_dec(item, "px"),
        avg_px=opt_dec(item, "avgPx"),  # "" until the first fill
        filled=dec_or_zero(item, "accFillSz"), fee=dec_or_zero(item, "fee"), pnl=dec_or_zero(item, "pnl"),
        reduce_only=flag(item, "reduceOnly"),
        sl_trigger_px=_attached_trigger(item, "slTriggerPx"), tp_trigger_px=_attached_trigger(item, "tpTriggerPx"),
        **_lifetime(item),
    )


class _FillHead(_OrderRef):
    trade_id: str
    price: Decimal
    size: Decimal


def _fill_head(item: Item) -> _FillHead:
    """What a REST fill row and an `orders` push say alike about a fill."""
    return {"trade_id": text(item, "tradeId"), **_order_ref(item), "price": dec(item, "fillPx"),
            "size": dec(item, "fillSz")}


def _exec_type(item: Item) -> Literal["T", "M", ""]:
    return member(opt_text(item, "execType") or "", EXEC_TYPES) or ""


def fill(raw: Any) -> Fill:
    """One row of GET /trade/fills."""
    item = _item(raw)
    return Fill(
        **_fill_head(item),
        fee=dec_or_zero(item, "fee"),
        pnl=dec_or_zero(item, "fillPnl"),
        exec_type=_exec_type(item),
        ts=opt_ts(item, "fillTime") or ts(item, "ts"),
    )


def fill_from_order_push(raw: Any, prior_fee: Decimal = Decimal(0), prior_pnl: Decimal = Decimal(0)) -> Fill | None:
    """The fill an `orders` channel push reports, or None when the push is not a fill.

    OKX documents `fillFee`/`fillPnl` per push, but real pushes may only carry the order's
    accumulated `fee`/`pnl`; then this fill's share is the increase over `prior_fee`/`prior_pnl`
    (what the order had accumulated before this push)."""
    item = _item(raw)
    if is_blank(item.get("tradeId")) or dec_or_zero(item, "fillSz") == 0:
        return None
    fee = opt_dec(item, "fillFee")
    pnl = opt_dec(item, "fillPnl")
    return Fill(
        **_fill_head(item),
        fee=fee if fee is not None else dec_or_zero(item, "fee") - prior_fee,
        pnl=pnl if pnl is not None else dec_or_zero(item, "pnl") - prior_pnl,
        exec_type=_exec_type(item),
        ts=opt_ts(item, "fillTime") or ts(item, "uTime"),
    )


def algo_order(raw: Any) -> AlgoOrder:
    item = _item(raw)
    return AlgoOrder(
        algo_id=text(item, "algoId"), algo_cl_ord_id=opt_text(item, "algoClOrdId"),
        inst_id=text(item, "instId"), ord_type=text(item, "ordType"), **_sides(item),
        size=opt_dec(item, "sz"), close_fraction=opt_dec(item, "closeFraction"),
        sl_trigger_px=opt_dec(item, "slTriggerPx"), tp_trigger_px=opt_dec(item, "tpTriggerPx"),
        state=one_of(item, "state", ALGO_STATES), created_at=ts(item, "cTime"),
    )


def order_ack(raw: Any) -> OrderAck:
    item = _item(raw)
    return OrderAck(ord_id=text(item, "ordId"), cl_ord_id=opt_text(item, "clOrdId"), ts=opt_ts(item, "ts"))


def algo_id(raw: Any) -> str:
    return text(_item(raw), "algoId")
