"""Every REST answer has the envelope, key set and value types of the recorded OKX response (or of
the documentation example where nothing was recorded). Structure, not values."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from okx.Account import AccountAPI
from okx.MarketData import MarketAPI
from okx.PublicData import PublicAPI
from okx.Trade import TradeAPI

from tests.kit.sim import RunningSim, running_sim

pytestmark = pytest.mark.shared
INST = "BTC-USDT-SWAP"


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def assert_same_shape(ours: Any, recorded: Any, exact: bool = True, where: str = "") -> None:
    if isinstance(recorded, dict):
        assert isinstance(ours, dict), f"{where}: expected an object, got {ours!r}"
        missing = set(recorded) - set(ours)
        assert not missing, f"{where}: keys OKX sends but the sim does not: {sorted(missing)}"
        if exact:
            extra = set(ours) - set(recorded)
            assert not extra, f"{where}: keys the sim sends but OKX does not: {sorted(extra)}"
        for key in recorded:
            assert_same_shape(ours[key], recorded[key], exact, f"{where}.{key}")
    elif isinstance(recorded, list):
        assert isinstance(ours, list), f"{where}: expected a list, got {ours!r}"
        if recorded and ours:
            assert_same_shape(ours[0], recorded[0], exact, f"{where}[0]")
    else:
        assert type(ours) is type(recorded), f"{where}: {ours!r} is {type(ours).__name__}, OKX sends {type(recorded).__name__}"


def recorded(shared_dir: Path, name: str) -> Any:
    return json.loads((shared_dir / "okx/fixtures/recorded" / name).read_text())


def documented(shared_dir: Path, name: str, label: str = "Response Example") -> Any:
    page = json.loads((shared_dir / "okx/fixtures/docs" / name).read_text())
    return next(e["json"] for e in page["examples"] if e["label"] == label)


@pytest.fixture(scope="module")
def sim(shared_dir: Path) -> Iterator[RunningSim]:
    data = shared_dir / "data"
    with running_sim(data=[data / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather",
                           data / "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather",
                           data / "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather"],
                     start="2026-01-05T00:00:00Z") as running:
        trade = running.okx(TradeAPI)
        running.okx(AccountAPI).set_leverage(instId=INST, lever="5", mgnMode="isolated")
        trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="market", sz="0.5", clOrdId="open1",
                          attachAlgoOrds=[{"tpTriggerPx": "99000", "tpOrdPx": "-1", "slTriggerPx": "80000",
                                           "slOrdPx": "-1"}])
        trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="post_only", sz="1", px="85000",
                          clOrdId="rest1")
        yield running


@pytest.fixture(scope="module")
def api(sim: RunningSim) -> dict[str, Any]:
    return {"market": sim.okx(MarketAPI), "public": sim.okx(PublicAPI), "account": sim.okx(AccountAPI),
            "trade": sim.okx(TradeAPI)}


def test_public_endpoints(api: dict[str, Any], shared_dir: Path) -> None:
    public, market = api["public"], api["market"]
    instruments = public.get_instruments(instType="SWAP")
    assert_same_shape(instruments, recorded(shared_dir, "public_instruments__SWAP_BTC-USD_ETH-USDT_BTC-USDT.json"))
    assert_same_shape(public.get_system_time(), recorded(shared_dir, "public_time.json"))
    assert_same_shape(public.get_open_interest(instType="SWAP", instId=INST),
                      recorded(shared_dir, "public_open-interest__BTC-USDT-SWAP.json"))
    funding = public.get_funding_rate(instId=INST)
    assert_same_shape(funding, documented(shared_dir, "rest_public_funding-rate.json"))
    assert_same_shape(funding, recorded(shared_dir, "public_funding-rate__XRP-USDT-SWAP_empty-nextFundingRate.json"),
                      exact=False)
    assert funding["data"][0]["nextFundingRate"] == ""
    assert_same_shape(public.funding_rate_history(instId=INST),
                      documented(shared_dir, "rest_public_funding-rate-history.json"))
    assert_same_shape(public.get_mark_price(instType="SWAP"), documented(shared_dir, "rest_public_mark-price.json"))
    assert_same_shape(market.get_ticker(instId=INST), recorded(shared_dir, "market_ticker__BTC-USDT.json"))
    for call in (market.get_candlesticks, market.get_history_candlesticks):
        rows = call(instId=INST, bar="15m")
        assert_same_shape(rows, recorded(shared_dir, "market_candles__BTC-USDT-SWAP_1m.json"))
        assert all(len(row) == 9 and all(isinstance(x, str) for x in row) for row in rows["data"])
    books = market.get_orderbook(instId=INST, sz="2")
    assert_same_shape(books, recorded(shared_dir, "market_books__BTC-USDT-SWAP_sz2.json"))
    assert [len(books["data"][0][side]) for side in ("asks", "bids")] == [2, 2]


def test_account_endpoints(api: dict[str, Any], shared_dir: Path) -> None:
    account = api["account"]
    assert_same_shape(account.get_account_balance(),
                      recorded(shared_dir, "account_balance__multi-ccy_TRIMMED_BTC-LTC-USDT.json"))
    positions = account.get_positions(instType="SWAP")
    assert positions["data"], "the module opened a position"
    assert_same_shape(positions, recorded(shared_dir, "account_positions__BTC-USD-SWAP_long_isolated.json"))
    for older in ("account_positions__LTC-USDT-SWAP_long_cross_hedge.json",
                  "account_positions__LTC-USDT-SWAP_long_cross_with_upl.json"):
        assert_same_shape(positions, recorded(shared_dir, older), exact=False)
    assert_same_shape(account.get_account_config(), recorded(shared_dir, "account_config__net_mode.json"))
    assert_same_shape(account.set_leverage(instId=INST, lever="5", mgnMode="cross"),
                      recorded(shared_dir, "account_set-leverage__BTC-USDT-SWAP_cross.json"))
    assert_same_shape(account.get_leverage(instId=INST, mgnMode="cross"),
                      documented(shared_dir, "rest_account_leverage-info.json"))
    assert_same_shape(account.set_position_mode(posMode="net_mode"),
                      documented(shared_dir, "rest_account_set-position-mode.json"))


def test_trade_endpoints(api: dict[str, Any], shared_dir: Path) -> None:
    trade = api["trade"]
    placed = trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="limit", sz="1", px="86000",
                               clOrdId="shape1")
    assert_same_shape(placed, recorded(shared_dir, "trade_order_post__BTC-USDT-SWAP_market_attachAlgoOrds-SL.json"))
    refused = trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="market", sz="10000")
    assert_same_shape(refused, recorded(shared_dir, "trade_order_post__DOGE-USDT-SWAP_error_51008.json"))
    assert_same_shape(trade.get_order(instId=INST, clOrdId="open1"),
                      recorded(shared_dir, "trade_order_get__LTC-USDT_market_filled.json"))
    assert_same_shape(trade.get_order_list(instType="SWAP"),
                      recorded(shared_dir, "trade_orders-pending__ADA-USDT-SWAP_post_only_live.json"), exact=False)
    assert_same_shape(trade.get_orders_history(instType="SWAP"),
                      recorded(shared_dir, "trade_orders-history__LTC-USDT-SWAP_market_filled.json"), exact=False)
    amended = trade.amend_order(instId=INST, clOrdId="shape1", newPx="86100")
    expected_amend = {"code": "0", "msg": "", "data": [{"clOrdId": "", "ordId": "", "ts": "", "reqId": "",
                                                       "sCode": "0", "sMsg": ""}], "inTime": "", "outTime": ""}
    assert_same_shape(amended, expected_amend)  # the docs example itself is not valid JSON
    assert_same_shape(trade.cancel_order(instId=INST, clOrdId="shape1"),
                      documented(shared_dir, "rest_trade_cancel-order.json"))
    assert_same_shape(trade.get_fills(instType="SWAP"), recorded(shared_dir, "trade_fills__LTC-USDT_spot.json"))
    algo = trade.place_algo_order(instId=INST, tdMode="isolated", side="sell", ordType="conditional", sz="0.5",
                                  slTriggerPx="81000", slOrdPx="-1", reduceOnly="true", algoClOrdId="sl1")
    assert_same_shape(algo, recorded(shared_dir, "trade_order-algo_post__BTC-USDT-SWAP_trigger_attachAlgoOrds-SL.json"))
    assert_same_shape(trade.order_algos_list(ordType="conditional"),
                      recorded(shared_dir, "trade_orders-algo-pending__LTC-USDT-SWAP_conditional_SL.json"))
    assert_same_shape(trade.cancel_algo_order([{"instId": INST, "algoClOrdId": "sl1"}]),
                      recorded(shared_dir, "trade_cancel-algos__BTC-USDT-SWAP_by_algoClOrdId.json"))
    trade.cancel_order(instId=INST, clOrdId="rest1")
    assert_same_shape(trade.close_positions(instId=INST, mgnMode="isolated", autoCxl="true"),
                      documented(shared_dir, "rest_trade_close-position.json"))


def test_error_envelopes(sim: RunningSim, shared_dir: Path) -> None:
    unknown = httpx.get(f"{sim.rest_url}/api/v5/no/such/path")
    assert unknown.status_code == 404 and unknown.json() == recorded(shared_dir, "error_http404_unknown-path.json")
    bad_key = AccountAPI("wrong-key", sim.secret_key, sim.passphrase, flag="1", domain=sim.rest_url)
    answer = bad_key.get_account_balance()
    assert answer == recorded(shared_dir, "error_http401_50111_invalid-access-key.json")


def test_rate_limit_envelope(shared_dir: Path) -> None:
    with running_sim(rate_limits=True) as sim:
        answers = [httpx.get(f"{sim.rest_url}/api/v5/public/time") for _ in range(30)]
    statuses = [a.status_code for a in answers]
    assert statuses[:10] == [200] * 10 and 429 in statuses  # 10 requests per 2 s
    assert answers[statuses.index(429)].json() == recorded(shared_dir, "error_50011_too-many-requests.json")
