"""Every rejection the issue lists, produced through python-okx by a request that should produce it,
with OKX's code and wording; and OKX's clOrdId semantics (unique among pending orders only)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from okx.Account import AccountAPI
from okx.Trade import TradeAPI

from tests.kit.sim import RunningSim, flat_bars, running_sim, write_candles

INST = "BTC-USDT-SWAP"  # last price 90000.0 throughout (a flat scripted market)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    path = write_candles(tmp_path_factory.mktemp("flat") / "flat.json", flat_bars(90000.0, 400),
                         "2026-01-05T00:00:00Z")
    with running_sim(data=[path], start="2026-01-05T05:00:00Z") as running:
        yield running


@pytest.fixture
def trade(sim: RunningSim) -> Iterator[TradeAPI]:
    api = sim.okx(TradeAPI)
    yield api
    for order in api.get_order_list(instType="SWAP")["data"]:  # leave the module's account flat
        api.cancel_order(instId=INST, ordId=order["ordId"])
    for algo in api.order_algos_list(ordType="conditional,oco")["data"]:
        api.cancel_algo_order([{"instId": INST, "algoId": algo["algoId"]}])
    for pos in sim.okx(AccountAPI).get_positions()["data"]:
        api.close_positions(instId=INST, mgnMode=pos["mgnMode"], autoCxl="true")


def rejected(answer: dict[str, Any]) -> tuple[str, str]:
    assert answer["code"] == "1" and answer["msg"] == "All operations failed", answer
    return answer["data"][0]["sCode"], answer["data"][0]["sMsg"]


def market(trade: TradeAPI, side: str = "buy", sz: str = "1", **extra: Any) -> dict[str, Any]:
    return trade.place_order(instId=INST, tdMode="cross", side=side, ordType="market", sz=sz, **extra)


def test_size_and_margin(trade: TradeAPI) -> None:
    assert rejected(market(trade, sz="10000")) == ("51008", "Order failed. Insufficient USDT margin in account ")
    assert rejected(market(trade, sz="0.015"))[0] == "51121"
    assert rejected(market(trade, sz="0.005")) == ("51020", "Your order should meet or exceed the minimum order amount.")


def test_parameter_errors_are_http_400_envelopes(trade: TradeAPI) -> None:
    assert trade.place_order(instId="", tdMode="cross", side="buy", ordType="market", sz="1") == \
        {"code": "50014", "msg": "Parameter instId can not be empty.", "data": []}
    assert trade.place_order(instId=INST, tdMode="cash", side="buy", ordType="market", sz="1") == \
        {"code": "51000", "msg": "Parameter tdMode error", "data": []}
    assert trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1")["code"] == "50014"
    assert rejected(trade.place_order(instId="DOGE-USDT-SWAP", tdMode="cross", side="buy", ordType="market",
                                      sz="1"))[0] == "51001"


def test_tp_sl_on_the_wrong_side(trade: TradeAPI) -> None:
    def attached(side: str, **levels: str) -> tuple[str, str]:
        return rejected(market(trade, side=side, attachAlgoOrds=[{**levels, "tpOrdPx": "-1", "slOrdPx": "-1"}]))

    assert attached("buy", tpTriggerPx="89000") == ("51279", "TP trigger price cannot be lower than the last price.")
    assert attached("buy", slTriggerPx="91000") == ("51280", "SL trigger price cannot be higher than the last price.")
    assert attached("sell", tpTriggerPx="91000") == ("51277", "TP trigger price cannot be higher than the last price.")
    assert attached("sell", slTriggerPx="89000") == ("51278", "SL trigger price cannot be lower than the last price.")
    assert rejected(trade.place_algo_order(instId=INST, tdMode="cross", side="sell", ordType="conditional", sz="1",
                                           slTriggerPx="95000", slOrdPx="-1"))[0] == "51280"


def test_cancel_lookup_and_amend(trade: TradeAPI) -> None:
    filled = market(trade)["data"][0]["ordId"]
    assert trade.cancel_order(instId=INST, ordId=filled)["data"][0]["sCode"] == "51400"
    assert rejected(trade.cancel_order(instId=INST, ordId="", clOrdId=""))[0] == "51003"
    assert trade.get_order(instId=INST, ordId="1234567") == {"code": "51603", "msg": "Order does not exist.", "data": []}
    resting = trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1", px="85000")
    ord_id = resting["data"][0]["ordId"]
    trade.cancel_order(instId=INST, ordId=ord_id)
    assert rejected(trade.amend_order(instId=INST, ordId=ord_id, newPx="85100"))[0] == "51503"
    assert rejected(trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1",
                                      px="95000"))[0] == "51006"


def test_client_order_id_is_unique_only_among_pending_orders(trade: TradeAPI) -> None:
    first = trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1", px="85000",
                              clOrdId="cycle7")
    assert first["code"] == "0"
    assert rejected(trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1", px="85000",
                                      clOrdId="cycle7")) == ("51016", "Client order ID already exists.")
    trade.cancel_order(instId=INST, clOrdId="cycle7")
    again = market(trade, clOrdId="cycle7")  # terminal now: the id may be used again (OKX is not idempotent)
    assert again["code"] == "0" and again["data"][0]["ordId"] != first["data"][0]["ordId"]
    assert trade.get_order(instId=INST, clOrdId="cycle7")["data"][0]["state"] == "filled"  # the newest match


def test_positions_and_reduce_only(sim: RunningSim, trade: TradeAPI) -> None:
    account = sim.okx(AccountAPI)
    assert trade.close_positions(instId=INST, mgnMode="cross") == \
        {"code": "51023", "msg": "Position doesn't exist.", "data": []}
    assert rejected(market(trade, side="sell", reduceOnly="true"))[0] == "51169"
    market(trade, sz="2")
    assert rejected(market(trade, side="buy", reduceOnly="true"))[0] == "51170"
    assert rejected(market(trade, side="sell", sz="3", reduceOnly="true"))[0] == "51112"
    assert rejected(market(trade, side="sell", reduceOnly="true", attachAlgoOrds=[
        {"slTriggerPx": "95000", "slOrdPx": "-1"}]))[0] == "51100"
    assert account.set_position_mode(posMode="long_short_mode")["code"] == "59000"
    trade.place_order(instId=INST, tdMode="cross", side="sell", ordType="limit", sz="1", px="95000",
                      reduceOnly="true")
    assert trade.close_positions(instId=INST, mgnMode="cross")["code"] == "51115"
    assert trade.close_positions(instId=INST, mgnMode="cross", autoCxl="true")["code"] == "0"
    assert account.get_positions()["data"] == []


def test_leverage_and_algo_ids(sim: RunningSim, trade: TradeAPI) -> None:
    account = sim.okx(AccountAPI)
    assert account.set_leverage(instId=INST, lever="101", mgnMode="cross") == {"code": "59102", "data": [],
        "msg": "Leverage exceeds the maximum limit. Please lower the leverage."}
    trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="limit", sz="1", px="85000")
    assert account.set_leverage(instId=INST, lever="5", mgnMode="isolated")["code"] == "59101"
    market(trade, sz="1")
    algo = dict(instId=INST, tdMode="cross", side="sell", ordType="conditional", sz="1", slTriggerPx="85000",
                slOrdPx="-1", algoClOrdId="stop1")
    assert trade.place_algo_order(**algo)["code"] == "0"
    assert rejected(trade.place_algo_order(**algo)) == ("51065", "algoClOrdId already exists.")
