"""The field readers the parsers share: one order reference, one lifetime, one way to narrow a value to
the domain's Literals; a bad field reads the same whichever parser meets it."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.kit.okx_fixtures import recorded
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.values import ParseError, dec_or, member, one_of

pytestmark = pytest.mark.shared

D = Decimal
PUSH = "ws_orders__BTC-USDT-SWAP_market_filled.json"  # an orders push: an order and a fill at once
PARSERS: list[Callable[[Any], object]] = [parse.order, parse.fill, parse.fill_from_order_push]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("key", "value", "message"), [
    ("side", "hold", "field 'side' = 'hold' is not one of ['buy', 'sell']"),
    ("posSide", "both", "posSide 'both' is not long, short or net"),
    ("ordId", "", "field 'ordId' is empty"),
    ("instId", None, "field 'instId' is missing"),
])
def test_a_bad_order_reference_reads_the_same_in_every_parser(
        parser: Callable[[Any], object], key: str, value: str | None, message: str) -> None:
    item = dict(recorded(PUSH)["data"][0])
    if value is None:
        del item[key]
    else:
        item[key] = value
    with pytest.raises(ParseError) as caught:
        parser(item)
    assert str(caught.value) == message


def test_states_are_checked_against_the_domain_literals() -> None:
    item = dict(recorded(PUSH)["data"][0], state="done")
    with pytest.raises(ParseError, match=r"'state' = 'done' is not one of \['canceled', 'filled', 'live', "
                                         r"'mmp_canceled', 'partially_filled'\]"):
        parse.order(item)


def test_fill_and_push_share_the_fill_fields() -> None:
    item = recorded(PUSH)["data"][0]
    rest, push = parse.fill(dict(item, ts=item["uTime"])), parse.fill_from_order_push(item)
    assert push is not None
    same = ("trade_id", "ord_id", "cl_ord_id", "inst_id", "side", "pos_side", "price", "size", "exec_type", "ts")
    assert {k: getattr(rest, k) for k in same} == {k: getattr(push, k) for k in same}


def test_updated_at_falls_back_to_created_at() -> None:
    item = dict(recorded(PUSH)["data"][0], uTime="")
    parsed = parse.order(item)
    assert parsed.updated_at == parsed.created_at
    with pytest.raises(ParseError, match="timestamp 'cTime' is empty"):
        parse.order(dict(item, cTime=""))


@pytest.mark.parametrize(("raw", "expected"), [("", D(1)), ("0", D(1)), ("5", D(5)), (None, D(1))])
def test_dec_or_treats_empty_missing_and_zero_as_the_default(raw: str | None, expected: Decimal) -> None:
    item = {} if raw is None else {"lever": raw}
    assert dec_or(item, "lever", D(1)) == expected


def test_dec_or_still_refuses_text() -> None:
    with pytest.raises(ParseError, match="lever 'x' is not a number"):
        dec_or({"lever": "x"}, "lever", D(1))


def test_member_and_one_of_return_the_allowed_value() -> None:
    assert member("sell", parse.SIDES) == "sell" and member("hold", parse.SIDES) is None
    assert one_of({"mgnMode": "cross"}, "mgnMode", parse.MARGIN_MODES) == "cross"
