"""Account, position, order, fill and algo parsers against recorded OKX responses."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.kit.okx_fixtures import doc_example, recorded
from trading_bot.exchange.okx import parse

pytestmark = pytest.mark.shared

D = Decimal


def test_balance_usdt_line_of_multi_currency_and_futures_mode_accounts() -> None:
    rest = parse.account(recorded("account_balance__multi-ccy_TRIMMED_BTC-LTC-USDT.json")["data"][0])
    usdt = next(d for d in recorded("account_balance__multi-ccy_TRIMMED_BTC-LTC-USDT.json")["data"][0]["details"]
                if d["ccy"] == "USDT")
    assert (rest.equity, rest.available, rest.frozen, rest.upl) == (
        D(usdt["eq"]), D(usdt["availBal"]), D(usdt["frozenBal"]), D(usdt["upl"]))
    ws = parse.account(recorded("ws_account__futures-mode_USDT-BTC-ETH.json")["data"][0])  # adjEq etc. are ""
    assert (ws.equity, ws.available, ws.frozen) == (D("100.52768569797846"), D("100.52768569797846"), D(0))
    assert ws.ts == datetime.fromtimestamp(1751526647.084, UTC)
    docs = parse.account(doc_example("rest_account_balance.json", "Response")["data"][0])
    assert docs.equity == D("4992.890093622894") and docs.frozen == D("158.573")


def test_balance_without_the_currency_is_zero() -> None:
    item = {"uTime": "1751526647084", "details": [{"ccy": "BTC", "eq": "1"}]}
    assert parse.account(item).equity == 0


def test_positions_isolated_and_cross_with_empty_fields() -> None:
    iso = parse.position(recorded("account_positions__BTC-USD-SWAP_long_isolated.json")["data"][0])
    assert iso is not None and (iso.side, iso.pos_side, iso.mgn_mode, iso.size) == ("long", "long", "isolated", D(1))
    assert (iso.avg_px, iso.liq_px, iso.margin, iso.imr) == (D("92300"), D("69536.6125000014"), D("0.0003611412062116"), None)
    assert iso.leverage == D(3) and iso.pos_id == "3234559463547297792"
    cross = parse.position(recorded("account_positions__LTC-USDT-SWAP_long_cross_with_upl.json")["data"][0])
    assert cross is not None and (cross.margin, cross.liq_px, cross.imr) == (None, None, D("0.020266"))
    assert (cross.upl, cross.fee, cross.funding_fee, cross.realized_pnl) == (
        D("0.03731"), D("-0.000082675"), D("-0.0154171409554622"), D("-0.0154998159554622"))
    hedge = parse.position(recorded("account_positions__LTC-USDT-SWAP_long_cross_hedge.json")["data"][0])
    assert hedge is not None and hedge.mark_px == D("68.24")
    docs = doc_example("ws_positions.json", "Push Data Example: single")["data"][0]
    assert parse.position(docs).side == "long"  # type: ignore[union-attr]


def test_net_mode_sign_gives_the_side_and_zero_is_closed() -> None:
    row = dict(recorded("account_positions__LTC-USDT-SWAP_long_cross_hedge.json")["data"][0], posSide="net", pos="-3")
    short = parse.position(row)
    assert short is not None and (short.side, short.pos_side, short.size) == ("short", "net", D(3))
    closed = dict(row, pos="0", avgPx="", pnl="1.5", fee="-0.2", fundingFee="-0.05", realizedPnl="1.25")
    assert parse.position(closed) is None
    state = parse.position_state(closed)
    assert (state.qty, state.side, state.pnl, state.fee, state.funding_fee) == (D(0), None, D("1.5"), D("-0.2"), D("-0.05"))


def test_orders_filled_live_and_history() -> None:
    filled = parse.order(recorded("trade_order_get__LTC-USDT_market_filled.json")["data"][0])
    assert (filled.state, filled.avg_px, filled.filled, filled.fee, filled.pos_side) == (
        "filled", D("101.58"), D("0.1"), D("-0.0001"), "net")
    assert filled.is_terminal and filled.price is None and filled.reduce_only is False
    live = parse.order(recorded("trade_orders-pending__ADA-USDT-SWAP_post_only_live.json")["data"][0])
    assert (live.state, live.avg_px, live.price, live.filled, live.ord_type) == ("live", None, D("0.2"), D(0), "post_only")
    assert not live.is_terminal and live.cl_ord_id == "e847386590ce4dBC28d905b5946bad5a"
    history = parse.order(recorded("trade_orders-history__LTC-USDT-SWAP_market_filled.json")["data"][0])
    assert history.created_at == datetime.fromtimestamp(1706612162.995, UTC) and history.pos_side == "long"


def test_attached_sl_tp_are_read_from_attach_algo_ords() -> None:
    item = dict(recorded("trade_orders-history__LTC-USDT-SWAP_market_filled.json")["data"][0])
    item["attachAlgoOrds"] = [{"attachAlgoId": "1", "slTriggerPx": "60.5", "tpTriggerPx": "75", "slOrdPx": "-1"}]
    parsed = parse.order(item)
    assert (parsed.sl_trigger_px, parsed.tp_trigger_px) == (D("60.5"), D("75"))


def test_fills_rest() -> None:
    fill = parse.fill(recorded("trade_fills__LTC-USDT_spot.json")["data"][0])
    assert (fill.trade_id, fill.price, fill.size, fill.fee, fill.pnl, fill.exec_type) == (
        "56181695", D("67.84"), D("0.1"), D("-0.0001"), D(0), "T")
    assert fill.ts == datetime.fromtimestamp(1698835093.027, UTC)
    docs = parse.fill(doc_example("rest_trade_fills.json", "Response")["data"][0])
    assert docs.cl_ord_id is None and docs.trade_id == "744876980"


def test_ws_order_push_without_fill_fee_takes_the_increase_of_the_accumulated_fee() -> None:
    item = recorded("ws_orders__BTC-USDT-SWAP_market_filled.json")["data"][0]
    first = parse.fill_from_order_push(item)
    assert first is not None and (first.trade_id, first.price, first.size, first.fee, first.exec_type) == (
        "1518905529", D("103698.9"), D("0.03"), D("-0.021776769"), "M")
    later = parse.fill_from_order_push(item, prior_fee=D("-0.02"))
    assert later is not None and later.fee == D("-0.001776769")
    docs = parse.fill_from_order_push(doc_example("ws_orders.json", "Push")["data"][0], prior_fee=D("-5"))
    assert docs is not None and docs.fee == D("-0.02522168") and docs.pnl == D("0.01")  # fillFee/fillPnl win


def test_ws_order_push_that_is_not_a_fill() -> None:
    item = dict(recorded("ws_orders__BTC-USDT-SWAP_market_filled.json")["data"][0], state="live",
                tradeId="", fillSz="0", fillPx="", accFillSz="0", avgPx="")
    assert parse.fill_from_order_push(item) is None
    assert parse.order(item).avg_px is None


def test_algo_orders_and_acks() -> None:
    algo = parse.algo_order(recorded("trade_orders-algo-pending__LTC-USDT-SWAP_conditional_SL.json")["data"][0])
    assert (algo.ord_type, algo.sl_trigger_px, algo.tp_trigger_px, algo.size, algo.close_fraction) == (
        "conditional", D("100"), None, D("1"), None)
    assert algo.state == "live" and algo.side == "buy"
    docs = parse.algo_order(doc_example("ws_orders-algo.json", "Push")["data"][0])
    assert docs.tp_trigger_px == D("1") and docs.pos_side == "net"  # posSide "" = net
    ack = parse.order_ack(recorded("trade_order_post__BTC-USDT-SWAP_market_attachAlgoOrds-SL.json")["data"][0])
    assert (ack.ord_id, ack.cl_ord_id) == ("2896576259728695296", "6b9ad766b55dBCDE63969a1144bfb943")
    answer = recorded("trade_order-algo_post__BTC-USDT-SWAP_trigger_attachAlgoOrds-SL.json")
    assert parse.algo_id(answer["data"][0]) == "2896574163517353984"
    assert parse.algo_id(recorded("trade_cancel-algos__BTC-USDT-SWAP_by_algoClOrdId.json")["data"][0]) == "2903938004064555008"
