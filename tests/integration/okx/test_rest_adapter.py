"""OkxRest over real HTTP: python-okx 0.4.4 against a scripted local server answering with the
recorded OKX bodies, HTML gateway errors, 429s and timeouts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from structlog.testing import capture_logs

from tests.kit.okx_fixtures import recorded
from tests.kit.okx_http import Reply, ScriptedOkx, Seen, scripted_okx
from trading_bot.clock import to_ms
from trading_bot.domain.orders import AlgoRequest, OrderRequest
from trading_bot.exchange import errors
from trading_bot.exchange.okx.endpoints import OkxCredentials, OkxEndpoints
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.okx.retry import RetryPolicy
from trading_bot.exchange.okx.transport import OkxTransport

pytestmark = pytest.mark.shared
D = Decimal
SECRET = "test-secret-0123"


@pytest.fixture
def okx() -> Iterator[ScriptedOkx]:
    with scripted_okx() as server:
        yield server


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def rest(okx: ScriptedOkx, slept: list[float]) -> Iterator[OkxRest]:
    endpoints = OkxEndpoints(
        rest_url=okx.url, ws_public_url="", ws_private_url="", ws_business_url="", flag="1",
        credentials=OkxCredentials("test-key-0123", SECRET, "test-pass-0123"),
    )
    policy = RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05, sleep=slept.append, rng=random.Random(3))
    adapter = OkxRest(OkxTransport(endpoints, timeout_seconds=0.5, policy=policy))
    yield adapter
    adapter.close()


def _ok(data: list) -> Reply:
    return Reply({"code": "0", "msg": "", "data": data})


def test_market_data_from_recorded_bodies_unsigned_with_demo_header(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.always("/api/v5/public/instruments", Reply(recorded("public_instruments__SWAP_BTC-USD_ETH-USDT_BTC-USDT.json")))
    okx.always("/api/v5/public/funding-rate", Reply(recorded("public_funding-rate__XRP-USDT-SWAP_empty-nextFundingRate.json")))
    okx.always("/api/v5/public/open-interest", Reply(recorded("public_open-interest__BTC-USDT-SWAP.json")))
    okx.always("/api/v5/market/books", Reply(recorded("market_books__BTC-USDT-SWAP_sz2.json")))
    okx.always("/api/v5/public/time", Reply(recorded("public_time.json")))

    btc = rest.instrument("BTC-USDT-SWAP")
    assert (btc.lot_sz, btc.tick_sz, btc.ct_val) == (D("0.01"), D("0.1"), D("0.01"))
    rest.instrument("BTC-USDT-SWAP")
    assert len(okx.seen("/api/v5/public/instruments")) == 1  # cached
    assert rest.funding_rate("XRP-USDT-SWAP").next_rate is None
    assert rest.open_interest("BTC-USDT-SWAP").oi == D("2663107.29999999861")
    assert rest.order_book("BTC-USDT-SWAP", 2).best_bid == D("43466.3")
    assert rest.server_time() == datetime.fromtimestamp(1712250348.676, UTC)
    books = okx.seen("/api/v5/market/books")[0]
    assert books.query == {"instId": "BTC-USDT-SWAP", "sz": "2"}
    assert books.headers["x-simulated-trading"] == "1" and "OK-ACCESS-KEY" not in books.headers


def test_private_requests_are_signed_over_the_raw_target_and_body(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.always("/api/v5/account/balance", Reply(recorded("account_balance__multi-ccy_TRIMMED_BTC-LTC-USDT.json")))
    okx.always("/api/v5/trade/order", Reply(recorded("trade_order_post__BTC-USDT-SWAP_market_attachAlgoOrds-SL.json")))
    assert rest.account().equity > 0
    ack = rest.place_order(OrderRequest(
        inst_id="BTC-USDT-SWAP", side="buy", ord_type="market", size=D("0.50"), cl_ord_id="c123abc",
        sl_trigger_px=D("42000.0"), tp_trigger_px=D("45000"), td_mode="isolated",
    ))
    assert ack.ord_id == "2896576259728695296"
    for seen in okx.requests:
        prehash = seen.headers["OK-ACCESS-TIMESTAMP"] + seen.method + seen.target + seen.body
        expected = base64.b64encode(hmac.new(SECRET.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
        assert seen.headers["OK-ACCESS-SIGN"] == expected
        assert seen.headers["OK-ACCESS-KEY"] == "test-key-0123"
    body = okx.seen("/api/v5/trade/order")[0].json()
    assert (body["sz"], body["clOrdId"], body["tdMode"], body["ordType"]) == ("0.5", "c123abc", "isolated", "market")
    assert body["attachAlgoOrds"] == [{"slTriggerPx": "42000", "slOrdPx": "-1", "slTriggerPxType": "last",
                                       "tpTriggerPx": "45000", "tpOrdPx": "-1", "tpTriggerPxType": "last"}]


def _candle_rows(newest: datetime, count: int, step: timedelta) -> list[list[str]]:
    return [[str(to_ms(newest - i * step)), "10", "11", "9", "10.5", "100", "1", "1050", "1"] for i in range(count)]


def test_candles_page_backwards_through_recent_then_history(okx: ScriptedOkx, rest: OkxRest) -> None:
    step = timedelta(minutes=15)
    newest = datetime(2026, 1, 5, 12, tzinfo=UTC)

    def recent(seen: Seen) -> Reply:  # 350 bars reachable on /candles, older ones on /history-candles
        cursor = int(seen.query.get("after", to_ms(newest) + 1))
        rows = [r for r in _candle_rows(newest, 350, step) if int(r[0]) < cursor][: int(seen.query["limit"])]
        return _ok(rows)

    def history(seen: Seen) -> Reply:
        cursor = int(seen.query["after"])
        rows = [r for r in _candle_rows(newest, 1000, step) if int(r[0]) < cursor][: int(seen.query["limit"])]
        return _ok(rows)

    okx.always("/api/v5/market/candles", recent)
    okx.always("/api/v5/market/history-candles", history)
    bars = rest.candles("BTC-USDT-SWAP", "15m", limit=500)
    assert len(bars) == 500 and bars[-1].ts == newest and bars[0].ts == newest - 499 * step
    assert all(b.ts - a.ts == step for a, b in zip(bars, bars[1:], strict=False))
    assert [int(s.query["limit"]) for s in okx.seen("/api/v5/market/candles")] == [300, 200]
    assert all(int(s.query["limit"]) <= 100 for s in okx.seen("/api/v5/market/history-candles"))

    before = newest - 10 * step
    older = rest.candles("BTC-USDT-SWAP", "15m", limit=3, before=before)
    assert [b.ts for b in older] == [before - 3 * step, before - 2 * step, before - step]


def test_gateway_html_and_503_are_retried_for_reads(okx: ScriptedOkx, rest: OkxRest, slept: list[float]) -> None:
    okx.script("/api/v5/market/ticker", Reply("<html><body>502 Bad Gateway</body></html>", status=502),
               Reply({"code": "50001", "msg": "Service temporarily unavailable", "data": []}, status=503))
    okx.always("/api/v5/market/ticker", _ok(recorded("ws_tickers__BTC-USDT-SWAP_push.json")["data"]))
    assert rest.ticker("BTC-USDT-SWAP").last == D("26008")
    assert len(okx.seen("/api/v5/market/ticker")) == 3 and len(slept) == 2


def test_rate_limited_reads_wait_a_window_then_succeed(okx: ScriptedOkx, rest: OkxRest, slept: list[float]) -> None:
    okx.script("/api/v5/public/time", Reply(recorded("error_50011_too-many-requests.json"), status=429))
    okx.always("/api/v5/public/time", Reply(recorded("public_time.json")))
    rest.server_time()
    assert slept == [2.0]


def test_persistent_gateway_failure_surfaces_as_exchange_unavailable(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.always("/api/v5/market/ticker", Reply("<html>502</html>", status=502))
    with pytest.raises(errors.ExchangeUnavailable) as caught:
        rest.ticker("BTC-USDT-SWAP")
    assert caught.value.http_status == 502 and "non-JSON" in caught.value.message
    assert len(okx.seen("/api/v5/market/ticker")) == 3


def _entry() -> OrderRequest:
    return OrderRequest(inst_id="BTC-USDT-SWAP", side="buy", ord_type="market", size=D("1"), cl_ord_id="cyc42")


def test_order_whose_answer_times_out_is_outcome_unknown_and_sent_once(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.always("/api/v5/trade/order", Reply(recorded("trade_order_post__BTC-USDT-SWAP_market_attachAlgoOrds-SL.json"),
                                            delay=1.5))
    with pytest.raises(errors.OutcomeUnknown) as caught:
        rest.place_order(_entry())
    assert caught.value.code == "timeout"
    assert len(okx.seen("/api/v5/trade/order")) == 1


@pytest.mark.parametrize("reply", [
    Reply({"code": "50001", "msg": "Service temporarily unavailable", "data": []}, status=503),
    Reply({"code": "50004", "msg": "API endpoint request timeout", "data": []}, status=400),
    Reply("<html>504 Gateway Time-out</html>", status=504),
])
def test_ambiguous_order_failures_are_never_resent(okx: ScriptedOkx, rest: OkxRest, reply: Reply) -> None:
    okx.always("/api/v5/trade/order", reply)
    with pytest.raises(errors.OutcomeUnknown):
        rest.place_order(_entry())
    assert len(okx.seen("/api/v5/trade/order")) == 1


def test_rate_limited_order_is_resent_because_it_was_refused(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.script("/api/v5/trade/order", Reply(recorded("error_50011_too-many-requests.json"), status=429))
    okx.always("/api/v5/trade/order", Reply(recorded("trade_order_post__BTC-USDT-SWAP_market_attachAlgoOrds-SL.json")))
    assert rest.place_order(_entry()).ord_id == "2896576259728695296"
    assert len(okx.seen("/api/v5/trade/order")) == 2


def test_order_rejections_and_lookups(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.script("/api/v5/trade/order", Reply(recorded("trade_order_post__DOGE-USDT-SWAP_error_51008.json")))
    with pytest.raises(errors.InsufficientMargin):
        rest.place_order(_entry())
    okx.always("/api/v5/trade/order", Reply({"code": "51603", "msg": "Order does not exist", "data": []}))
    assert rest.get_order("BTC-USDT-SWAP", cl_ord_id="cyc42") is None
    okx.always("/api/v5/trade/order", Reply(recorded("trade_orders-history__LTC-USDT-SWAP_market_filled.json")))
    found = rest.get_order("LTC-USDT-SWAP", cl_ord_id="e847386590ce4dBC2f7dbb9924c2b77c")
    assert found is not None and found.state == "filled"


def test_unknown_path_is_endpoint_not_found_and_bad_environment_says_so(okx: ScriptedOkx, rest: OkxRest) -> None:
    with pytest.raises(errors.EndpointNotFound):
        rest.get_order("BTC-USDT-SWAP", cl_ord_id="x1")  # nothing scripted: the server's 404
    okx.always("/api/v5/account/balance",
               Reply({"msg": "APIKey does not match current environment.", "code": "50101"}, status=401))
    with pytest.raises(errors.AuthError, match="OKX_FLAG"):
        rest.account()


def test_algo_orders_place_list_cancel(okx: ScriptedOkx, rest: OkxRest) -> None:
    okx.always("/api/v5/trade/order-algo", Reply(recorded("trade_order-algo_post__BTC-USDT-SWAP_trigger_attachAlgoOrds-SL.json")))
    okx.always("/api/v5/trade/orders-algo-pending", lambda seen: Reply(
        recorded("trade_orders-algo-pending__LTC-USDT-SWAP_conditional_SL.json") if seen.query["ordType"] == "conditional"
        else {"code": "0", "msg": "", "data": []}))
    okx.always("/api/v5/trade/cancel-algos", Reply(recorded("trade_cancel-algos__BTC-USDT-SWAP_by_algoClOrdId.json")))
    algo_id = rest.place_algo_order(AlgoRequest(inst_id="LTC-USDT-SWAP", side="sell", sl_trigger_px=D("60"),
                                                algo_cl_ord_id="slfix1"))
    assert algo_id == "2896574163517353984"
    body = okx.seen("/api/v5/trade/order-algo")[0].json()
    assert (body["ordType"], body["closeFraction"], body["reduceOnly"], body["slTriggerPx"], body["slOrdPx"]) == (
        "conditional", "1", "true", "60", "-1")
    pending = rest.pending_algo_orders("LTC-USDT-SWAP")
    assert [a.sl_trigger_px for a in pending] == [D("100")]
    assert {s.query["ordType"] for s in okx.seen("/api/v5/trade/orders-algo-pending")} == {"conditional", "oco"}
    rest.cancel_algo_orders("LTC-USDT-SWAP", [pending[0].algo_id])
    assert okx.seen("/api/v5/trade/cancel-algos")[0].json() == [{"instId": "LTC-USDT-SWAP", "algoId": "2017146754403004416"}]


def test_a_bad_bar_is_left_out_counted_and_logged_and_the_paging_goes_on(okx: ScriptedOkx, rest: OkxRest) -> None:
    step = timedelta(minutes=15)
    newest = datetime(2026, 1, 5, 12, tzinfo=UTC)
    rows = _candle_rows(newest, 20, step)
    rows[3] = [rows[3][0], "10", "8.5", "9", "10.5", "100", "1", "1050", "1"]  # high below low, close above high

    def recent(seen: Seen) -> Reply:
        cursor = int(seen.query.get("after", to_ms(newest) + 1))
        return _ok([r for r in rows if int(r[0]) < cursor][: int(seen.query["limit"])])

    okx.always("/api/v5/market/candles", recent)
    with capture_logs() as logs:
        bars = rest.candles("BTC-USDT-SWAP", "15m", limit=10)
    bad = newest - 3 * step
    assert [b.ts for b in bars] == [newest - k * step for k in range(10, -1, -1) if k != 3]  # one more page for 10
    assert [int(s.query["limit"]) for s in okx.seen("/api/v5/market/candles")] == [10, 1]
    assert rest.refused_candles == 1
    assert [entry for entry in logs if entry["event"] == "candle_refused"] == [{
        "event": "candle_refused", "log_level": "warning", "logger": "trading_bot.exchange.okx.rest", "source": "rest",
        "instrument": "BTC-USDT-SWAP", "timeframe": "15m", "ts": bad.isoformat(),
        "reason": "high 8.5 is below low 9"}]
