"""Order checks in the order OKX applies them; each failure is a `Reject` with OKX's code and text."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import AttachSpec, OrderParams, Reject, param_error, param_missing

if TYPE_CHECKING:
    from trading_bot.exchange.sim.order_store import OrderStore
    from trading_bot.exchange.sim.quotes import Quotes
    from trading_bot.exchange.sim.settings import AccountSettings

ORDER_TYPES = frozenset({"market", "limit", "post_only", "fok", "ioc", "optimal_limit_ioc"})
LIMIT_TYPES = frozenset({"limit", "post_only", "fok", "ioc"})
ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,32}$")
TAG_PATTERN = re.compile(r"^[A-Za-z0-9]{1,16}$")
PRICE_BAND = Decimal("0.05")  # limit buys above last·1.05 / sells below last·0.95 are refused (51006)
INSUFFICIENT_MARGIN = Reject("51008", "Order failed. Insufficient USDT margin in account ")


def check_common(quotes: Quotes, settings: AccountSettings, p: OrderParams) -> SimInstrument:
    inst = quotes.instrument(p.inst_id)
    if p.td_mode not in ("cross", "isolated"):
        raise param_error("tdMode")
    if p.side not in ("buy", "sell"):
        raise param_error("side")
    if p.ord_type not in ORDER_TYPES:
        raise param_error("ordType")
    check_pos_side(settings, p.pos_side)
    if p.cl_ord_id and not ID_PATTERN.match(p.cl_ord_id):
        raise param_error("clOrdId")
    if p.tag and not TAG_PATTERN.match(p.tag):
        raise param_error("tag")
    return inst


def check_pos_side(settings: AccountSettings, pos_side: str) -> None:
    if settings.pos_mode == "net_mode" and pos_side not in ("", "net"):
        raise param_error("posSide")
    if settings.pos_mode == "long_short_mode" and pos_side not in ("long", "short"):
        raise param_error("posSide")


def check_size(inst: SimInstrument, sz: Decimal, market: bool) -> None:
    if sz <= 0:
        raise param_error("sz")
    if sz < inst.min_sz:
        raise Reject("51020", "Your order should meet or exceed the minimum order amount.")
    if sz % inst.lot_sz:
        raise Reject("51121", "Order quantity must be a multiple of the lot size.")
    if market and sz > inst.max_mkt_sz:
        raise Reject("51202", "Market order amount exceeds the maximum amount.")
    if sz > inst.max_lmt_sz:
        raise Reject("51101", f"Order failed, the sz of the current order can’t be more than {inst.max_lmt_sz} (contracts).")


def check_price(inst: SimInstrument, p: OrderParams, last: Decimal) -> None:
    if p.ord_type not in LIMIT_TYPES:
        return
    if p.px is None:
        raise param_missing("px")
    if p.px <= 0 or p.px % inst.tick_sz:
        raise param_error("px")
    high = inst.tick_sz * (last * (1 + PRICE_BAND) / inst.tick_sz).to_integral_value()
    low = inst.tick_sz * (last * (1 - PRICE_BAND) / inst.tick_sz).to_integral_value()
    if (p.side == "buy" and p.px > high) or (p.side == "sell" and p.px < low):
        raise Reject("51006", f"Order price is not within the price limit (max buy price: {high} , min sell price: {low} )")


def check_client_id(orders: OrderStore, p: OrderParams) -> None:
    if p.cl_ord_id and orders.live_by_cl_ord_id(p.cl_ord_id) is not None:
        raise Reject("51016", "Client order ID already exists.")


def check_attached(p: OrderParams, last: Decimal) -> None:
    if p.attach and p.reduce_only:
        raise Reject("51100", "Unable to place order. Take profit/Stop loss conditions cannot be added to reduce-only orders.")
    for spec in p.attach:
        check_tp_sl_side("sell" if p.side == "buy" else "buy", spec.tp_trigger_px, spec.sl_trigger_px, last)


def check_tp_sl_side(closing_side: str, tp: Decimal | None, sl: Decimal | None, last: Decimal) -> None:
    """TP/SL of an order that closes with `closing_side` must lie on the right side of the last price."""
    if closing_side == "sell":  # closes a long: TP above, SL below
        if tp is not None and tp <= last:
            raise Reject("51279", "TP trigger price cannot be lower than the last price.")
        if sl is not None and sl >= last:
            raise Reject("51280", "SL trigger price cannot be higher than the last price.")
    else:  # closes a short: TP below, SL above
        if tp is not None and tp >= last:
            raise Reject("51277", "TP trigger price cannot be higher than the last price.")
        if sl is not None and sl <= last:
            raise Reject("51278", "SL trigger price cannot be lower than the last price.")


def check_attach_spec(spec: AttachSpec) -> None:
    if spec.tp_trigger_px is None and spec.sl_trigger_px is None:
        raise param_missing("tpTriggerPx")
