"""Market-data parsers against recorded OKX responses (and docs examples where none is recorded)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.kit.okx_fixtures import doc_example, recorded
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.values import ParseError

pytestmark = pytest.mark.shared

D = Decimal


def test_instruments_swap_linear_inverse_and_spot() -> None:
    data = recorded("public_instruments__SWAP_BTC-USD_ETH-USDT_BTC-USDT.json")["data"]
    by_id = {item["instId"]: parse.instrument(item) for item in data}
    btc = by_id["BTC-USDT-SWAP"]
    assert (btc.ct_val, btc.lot_sz, btc.min_sz, btc.tick_sz, btc.max_leverage) == (D("0.01"), D("0.01"), D("0.01"), D("0.1"), 100)
    assert (btc.ct_val_ccy, btc.settle_ccy, btc.max_mkt_sz, btc.state) == ("BTC", "USDT", D("12000"), "live")
    inverse = by_id["BTC-USD-SWAP"]  # instIdCode is an int and futureSettlement a bool in this file
    assert (inverse.ct_val, inverse.ct_val_ccy, inverse.settle_ccy, inverse.lot_sz) == (D("100"), "USD", "BTC", D("1"))
    assert by_id["ETH-USDT-SWAP"].ct_val == D("0.1")
    spot = parse.instrument(doc_example("rest_public_instruments.json", "Response")["data"][0])
    assert (spot.inst_id, spot.ct_val, spot.ct_val_ccy, spot.settle_ccy, spot.lot_sz) == (
        "BTC-USDT", D(1), "BTC", "USDT", D("0.00000001"))


def test_rest_candles_newest_first_rows() -> None:
    rows = recorded("market_candles__BTC-USDT-SWAP_1m.json")["data"]
    bars = [parse.candle(row, "BTC-USDT-SWAP", "1m") for row in rows]
    assert bars[0].ts == datetime(2025, 5, 12, 23, 54, tzinfo=UTC) and bars[1].ts < bars[0].ts
    first = bars[0]
    assert (first.open, first.high, first.low, first.close) == (D("102806.1"), D("102820.4"), D("102806.1"), D("102820.4"))
    assert (first.volume, first.volume_ccy, first.volume_quote) == (D("1040.37"), D("10.4037"), D("1069603.34883"))
    assert first.volume_ccy == first.volume * D("0.01") and first.confirmed is True


def test_ws_candle_push_forming_bar_and_spot_rows() -> None:
    push = recorded("ws_candle1H__XMR-USDT-SWAP_push.json")
    bar = parse.candle(push["data"][0], push["arg"]["instId"], "1H")
    assert bar.confirmed is False and bar.volume == 0 and bar.close == D("160.36")
    assert bar.ts == datetime(2023, 8, 6, 9, tzinfo=UTC)
    spot = [parse.candle(r, "BTC-USDT", "1H") for r in recorded("market_candles__BTC-USDT_1H.json")["data"]]
    assert [b.close for b in spot] == [D("43373.9"), D("43398.6"), D("43495.9")]
    docs = parse.candle(doc_example("ws_candle.json", "Push")["data"][0], "BTC-USDT", "1D")
    assert docs.confirmed is False and docs.volume_quote == D("5529.5858061")


@pytest.mark.parametrize("row", [
    ["1747094040000", "1", "2", "0.5", "1.5", "10"],  # too short
    ["1747094040000", "1", "2", "0.5", "", "10", "0.1", "15", "1"],  # empty close
    ["1747094040000", "1", "2", "0.5", "1.5", "10", "0.1", "15", "2"],  # bad confirm flag
    ["x", "1", "2", "0.5", "1.5", "10", "0.1", "15", "1"],  # bad timestamp
    {"ts": "1"},
])
def test_malformed_candle_rows_raise_parse_error(row: object) -> None:
    with pytest.raises(ParseError):
        parse.candle(row, "BTC-USDT-SWAP", "1m")


def test_tickers_rest_and_ws() -> None:
    spot = parse.ticker(recorded("market_ticker__BTC-USDT.json")["data"][0])
    assert (spot.last, spot.bid, spot.ask, spot.vol_24h) == (D("73384.8"), D("73384.7"), D("73384.8"), D("21266.19145051"))
    assert spot.ts == datetime.fromtimestamp(1710328243.709, UTC)
    swap = parse.ticker(recorded("ws_tickers__BTC-USDT-SWAP_push.json")["data"][0])
    assert (swap.inst_id, swap.last, swap.bid_sz, swap.ask_sz) == ("BTC-USDT-SWAP", D("26008"), D("1605"), D("73"))
    docs = parse.ticker(doc_example("ws_tickers.json", "Push")["data"][0])
    assert docs.ask == D("9999.99")


def test_books_rest_and_ws_books5() -> None:
    book = parse.order_book(recorded("market_books__BTC-USDT-SWAP_sz2.json")["data"][0], "BTC-USDT-SWAP")
    assert book.best_bid == D("43466.3") and book.best_ask == D("43466.4")
    assert [lvl.size for lvl in book.bids] == [D("13807"), D("17151")] and book.asks[0].orders == 1
    assert book.bids[0].price > book.bids[1].price and book.asks[0].price < book.asks[1].price
    spot = parse.order_book(recorded("market_books__BTC-USDT_sz2.json")["data"][0], "BTC-USDT")
    assert spot.asks[0].orders == 7
    push = doc_example("ws_books.json", "books5 channel")
    five = parse.order_book(push["data"][0], push["arg"]["instId"])  # seqId is an int in WS books
    assert len(five.bids) == len(five.asks) == 5 and five.inst_id == "BCH-USDT-SWAP"


def test_funding_rate_with_empty_next_rate() -> None:
    xrp = parse.funding_rate(recorded("public_funding-rate__XRP-USDT-SWAP_empty-nextFundingRate.json")["data"][0])
    assert xrp.next_rate is None and xrp.rate == D("0.0000728992871126")
    assert xrp.funding_time == datetime(2024, 1, 9, 16, tzinfo=UTC)
    assert xrp.next_funding_time == datetime(2024, 1, 10, 0, tzinfo=UTC)
    pushed = parse.funding_rate(recorded("ws_funding-rate__XRP-USDT-SWAP_push_empty-nextFundingRate.json")["data"][0])
    assert pushed.next_rate is None
    demo = parse.funding_rate(recorded("ws_funding-rate__BTC-USDT-SWAP_data-element_demo.json"))
    assert demo.rate == D("-0.0000256984705178") and demo.inst_id == "BTC-USDT-SWAP"
    docs = parse.funding_rate(doc_example("rest_public_funding-rate.json", "Response")["data"][0])
    assert docs.next_rate is None  # interestRate/impactValue are "" there too and are not read


def test_mark_price_rest_and_ws() -> None:
    rest = parse.mark_price(doc_example("rest_public_mark-price.json", "Response")["data"][0])
    assert (rest.inst_id, rest.mark_px) == ("BTC-USDT-SWAP", D("200"))
    pushed = parse.mark_price(doc_example("ws_mark-price.json", "Push")["data"][0])
    assert pushed.mark_px == D("0.1") and pushed.ts == datetime.fromtimestamp(1597026383.085, UTC)


def test_open_interest_and_server_time() -> None:
    oi = parse.open_interest(recorded("public_open-interest__BTC-USDT-SWAP.json")["data"][0])
    assert (oi.oi, oi.oi_ccy, oi.oi_usd) == (D("2663107.29999999861"), D("26631.0729999999861"), D("1676426045.349999124995"))
    assert parse.server_time(recorded("public_time.json")["data"][0]) == datetime.fromtimestamp(1712250348.676, UTC)


def test_missing_or_empty_required_field_is_a_parse_error() -> None:
    item = dict(recorded("ws_tickers__BTC-USDT-SWAP_push.json")["data"][0])
    item["last"] = ""
    with pytest.raises(ParseError, match="last"):
        parse.ticker(item)
    del item["last"]
    with pytest.raises(ParseError, match="last"):
        parse.ticker(item)
    with pytest.raises(ParseError):
        parse.ticker(["not", "an", "object"])
