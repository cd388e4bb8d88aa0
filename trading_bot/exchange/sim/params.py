"""OKX request fields → typed engine requests.

python-okx sends every optional field, as `""` (and `attachAlgoOrds` as `null`, `[]` or `""`), so
`""`, null and `[]` all mean "absent" here. A missing required field is 50014, an unreadable value
51000, both with OKX's wording and HTTP 400.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from trading_bot.exchange.sim.orders import MARKET_PX, AlgoParams, AttachSpec, OrderParams, param_error, param_missing

Body = dict[str, Any]


def absent(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def text(body: Body, name: str, required: bool = False, default: str = "") -> str:
    value = body.get(name)
    if absent(value):
        if required:
            raise param_missing(name)
        return default
    if not isinstance(value, str | int | float):
        raise param_error(name)
    return str(value)


def decimal(body: Body, name: str, required: bool = False) -> Decimal | None:
    raw = text(body, name, required)
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise param_error(name) from None
    if not value.is_finite():
        raise param_error(name)
    return value


def required_decimal(body: Body, name: str) -> Decimal:
    value = decimal(body, name, True)
    if value is None:  # `text` has refused an absent value already; this keeps the type exact
        raise param_missing(name)
    return value


def flag(body: Body, name: str) -> bool:
    value = body.get(name)
    if absent(value):
        return False
    if value in (True, "true", "True"):
        return True
    if value in (False, "false", "False"):
        return False
    raise param_error(name)


def integer(body: Body, name: str, default: int, maximum: int) -> int:
    raw = text(body, name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise param_error(name) from None
    if value <= 0:
        raise param_error(name)
    return min(value, maximum)


def attach_specs(value: Any) -> list[AttachSpec]:
    if absent(value):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise param_error("attachAlgoOrds")
    return [_attach(item) for item in value]


def _attach(item: Body) -> AttachSpec:
    return AttachSpec(
        attach_algo_cl_ord_id=text(item, "attachAlgoClOrdId"),
        tp_trigger_px=decimal(item, "tpTriggerPx"), tp_ord_px=decimal(item, "tpOrdPx") or MARKET_PX,
        tp_trigger_px_type=_trigger_type(item, "tpTriggerPxType"),
        sl_trigger_px=decimal(item, "slTriggerPx"), sl_ord_px=decimal(item, "slOrdPx") or MARKET_PX,
        sl_trigger_px_type=_trigger_type(item, "slTriggerPxType"),
    )


def _trigger_type(body: Body, name: str) -> str:
    value = text(body, name, default="last")
    if value not in ("last", "index", "mark"):
        raise param_error(name)
    return value


def order_params(body: Body) -> OrderParams:
    return OrderParams(
        inst_id=text(body, "instId", True), td_mode=text(body, "tdMode", True), side=text(body, "side", True),
        ord_type=text(body, "ordType", True), sz=required_decimal(body, "sz"),
        px=decimal(body, "px"), pos_side=text(body, "posSide"), reduce_only=flag(body, "reduceOnly"),
        cl_ord_id=text(body, "clOrdId"), tag=text(body, "tag"), attach=attach_specs(body.get("attachAlgoOrds")),
    )


def algo_params(body: Body) -> AlgoParams:
    return AlgoParams(
        inst_id=text(body, "instId", True), td_mode=text(body, "tdMode", True), side=text(body, "side", True),
        ord_type=text(body, "ordType", True), sz=decimal(body, "sz"), close_fraction=text(body, "closeFraction"),
        pos_side=text(body, "posSide"), reduce_only=flag(body, "reduceOnly"),
        algo_cl_ord_id=text(body, "algoClOrdId"), tag=text(body, "tag"),
        tp_trigger_px=decimal(body, "tpTriggerPx"), tp_ord_px=decimal(body, "tpOrdPx"),
        tp_trigger_px_type=_trigger_type(body, "tpTriggerPxType"),
        sl_trigger_px=decimal(body, "slTriggerPx"), sl_ord_px=decimal(body, "slOrdPx"),
        sl_trigger_px_type=_trigger_type(body, "slTriggerPxType"),
        trigger_px=decimal(body, "triggerPx"), order_px=decimal(body, "orderPx"),
        trigger_px_type=_trigger_type(body, "triggerPxType"), attach=attach_specs(body.get("attachAlgoOrds")),
    )
