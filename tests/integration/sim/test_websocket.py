"""The WebSocket endpoints through the `websockets` client: market channels on /public, candles on
/business, login and private channels on /private, OKX's error events, ping/pong and the idle close."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import websockets
from okx.Trade import TradeAPI

from tests.kit.sim import RunningSim, flat_bars, running_sim, write_candles
from trading_bot.exchange.sim.auth import sign

INST = "BTC-USDT-SWAP"


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    bars = flat_bars(90000.0, 400) + [(90000.0 + 10 * i, 90050.0 + 10 * i, 89990.0 + 10 * i, 90010.0 + 10 * i)
                                      for i in range(30)]
    path = write_candles(tmp_path_factory.mktemp("ws") / "path.json", bars, "2026-01-05T00:00:00Z")
    with running_sim(data=[path], start="2026-01-05T06:40:00Z") as running:
        yield running


async def recv_until(ws: Any, predicate: Callable[[Any], bool], timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, deadline - time.monotonic()))
        message = raw if raw == "pong" else json.loads(raw)
        if predicate(message):
            return message


def event(name: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("event") == name


def push(channel: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, dict) and m.get("arg", {}).get("channel") == channel and "data" in m


def login_args(sim: RunningSim, secret: str | None = None) -> dict[str, Any]:
    ts = int(time.time())  # python-okx sends an integer
    return {"apiKey": sim.api_key, "passphrase": sim.passphrase, "timestamp": ts,
            "sign": sign(secret or sim.secret_key, f"{ts}GET/users/self/verify")}


async def test_public_channels_and_errors(sim: RunningSim, shared_dir: Path) -> None:
    recorded = json.loads((shared_dir / "okx/fixtures/recorded/ws_tickers__BTC-USDT-SWAP_push.json").read_text())
    async with websockets.connect(sim.ws_public_url) as ws:
        await ws.send("ping")
        assert await ws.recv() == "pong"
        await ws.send(json.dumps({"id": "7", "op": "subscribe", "args": [{"channel": "tickers", "instId": INST},
                                                                         {"channel": "books5", "instId": INST}]}))
        ack = await recv_until(ws, event("subscribe"))
        assert ack["id"] == "7" and ack["arg"] == {"channel": "tickers", "instId": INST} and ack["connId"]
        ticker = await recv_until(ws, push("tickers"))
        assert set(ticker["data"][0]) == set(recorded["data"][0]) and ticker["data"][0]["last"] == "90000"
        assert all(isinstance(v, str) for v in ticker["data"][0].values())
        books = await recv_until(ws, push("books5"))
        assert [len(books["data"][0]["asks"]), len(books["data"][0]["bids"])] == [5, 5]
        assert books["data"][0]["bids"][0][0] == "90000" and books["data"][0]["asks"][0][0] == "90000.1"

        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "candle1m", "instId": INST}]}))
        moved = await recv_until(ws, event("error"))
        assert moved["code"] == "64001" and "/business" in moved["msg"]
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "tickers", "instId": "NOPE-USDT-SWAP"}]}))
        assert (await recv_until(ws, event("error")))["code"] == "60018"
        await ws.send('{"op": "subscribe", "argss": []}')
        bad = await recv_until(ws, event("error"))
        assert bad["code"] == "60012" and bad["msg"].startswith("Invalid request: ")
        await ws.send(json.dumps({"op": "unsubscribe", "args": [{"channel": "tickers", "instId": INST}]}))
        assert (await recv_until(ws, event("unsubscribe")))["arg"]["channel"] == "tickers"


async def test_candles_on_business(sim: RunningSim) -> None:
    async with websockets.connect(sim.ws_business_url) as ws:
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "tickers", "instId": INST}]}))
        assert (await recv_until(ws, event("error")))["code"] == "64002"
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "candle1m", "instId": INST}]}))
        await recv_until(ws, event("subscribe"))
        forming = await recv_until(ws, push("candle1m"))
        assert forming["data"][0][0] == "1767595200000" and forming["data"][0][8] == "0"  # 06:40, still forming
        await asyncio.to_thread(sim.advance, minutes=3)
        rows = [(await recv_until(ws, push("candle1m")))["data"][0] for _ in range(4)]
        assert [(r[0], r[8]) for r in rows] == [("1767595200000", "1"), ("1767595260000", "1"),
                                                ("1767595320000", "1"), ("1767595380000", "0")]
        assert rows[0][1:5] == ["90000", "90050", "89990", "90010"]  # the scripted bar, exactly


async def test_private_channels_after_login(sim: RunningSim) -> None:
    async with websockets.connect(sim.ws_private_url) as ws:
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "orders", "instType": "SWAP"}]}))
        assert (await recv_until(ws, event("error"))) | {"connId": ""} == \
            {"event": "error", "code": "60011", "msg": "Please log in", "connId": ""}
        await ws.send(json.dumps({"op": "login", "args": [login_args(sim, secret="wrong")]}))
        assert (await recv_until(ws, event("error")))["code"] == "60009"
        await ws.send(json.dumps({"op": "login", "args": [login_args(sim)]}))
        assert (await recv_until(ws, event("login")))["code"] == "0"
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "orders", "instType": "SWAP"},
                                                               {"channel": "positions", "instType": "ANY"},
                                                               {"channel": "account"}]}))
        first_positions = await recv_until(ws, push("positions"))
        assert first_positions["eventType"] == "snapshot" and first_positions["data"] == []
        account = await recv_until(ws, push("account"))
        assert account["data"][0]["details"][0]["cashBal"] == "10000"

        trade = sim.okx(TradeAPI)
        placed = await asyncio.to_thread(trade.place_order, instId=INST, tdMode="cross", side="buy",
                                         ordType="market", sz="2", clOrdId="wsorder1")
        assert placed["code"] == "0"
        order = await recv_until(ws, push("orders"))
        row = order["data"][0]
        assert (row["clOrdId"], row["state"], row["fillSz"], row["execType"]) == ("wsorder1", "filled", "2", "T")
        fee = -Decimal(row["fillPx"]) * 2 * Decimal("0.01") * Decimal("0.0005")
        assert Decimal(row["fillFee"]) == Decimal(row["fee"]) == fee
        positions = await recv_until(ws, lambda m: push("positions")(m) and m["data"])
        assert positions["eventType"] == "event_update" and positions["data"][0]["pos"] == "2"
        update = await recv_until(ws, lambda m: push("account")(m) and m["eventType"] == "event_update")
        assert Decimal(update["data"][0]["details"][0]["cashBal"]) == Decimal(10000) + fee
        await asyncio.to_thread(trade.close_positions, instId=INST, mgnMode="cross")


async def test_idle_sockets_are_closed_and_drops_are_abrupt(tmp_path: Path) -> None:
    with running_sim(idle_timeout_s=1.0) as sim:
        async with websockets.connect(sim.ws_public_url) as ws:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4004
        async with websockets.connect(sim.ws_public_url) as ws:
            await ws.send("ping")
            assert await ws.recv() == "pong"
            assert await asyncio.to_thread(sim.drop_websockets) == 1
            with pytest.raises(websockets.ConnectionClosed) as dropped:
                await asyncio.wait_for(ws.recv(), timeout=10)
            assert dropped.value.rcvd is None  # no close frame: like a network failure


async def test_an_amended_orders_push_carries_the_amend_result(sim: RunningSim) -> None:
    """OKX marks the `orders` push an amend causes with amendResult "0" (success); the pushes of a
    plain placement carry "" (../shared/okx/fixtures/docs/ws_orders.json)."""
    async with websockets.connect(sim.ws_private_url) as ws:
        await ws.send(json.dumps({"op": "login", "args": [login_args(sim)]}))
        assert (await recv_until(ws, event("login")))["code"] == "0"
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "orders", "instType": "SWAP"}]}))
        await recv_until(ws, event("subscribe"))
        trade = sim.okx(TradeAPI)
        placed = await asyncio.to_thread(trade.place_order, instId=INST, tdMode="cross", side="buy", ordType="limit",
                                         px="80000", sz="1", clOrdId="wsamend1")
        assert placed["code"] == "0", placed
        def mine(message: Any) -> bool:  # not the pushes of the orders other tests of the module left
            return push("orders")(message) and message["data"][0]["clOrdId"] == "wsamend1"

        live = (await recv_until(ws, mine))["data"][0]
        assert (live["state"], live["amendResult"]) == ("live", "")
        amended = await asyncio.to_thread(trade.amend_order, instId=INST, clOrdId="wsamend1", newPx="80100")
        assert amended["code"] == "0", amended
        row = (await recv_until(ws, mine))["data"][0]
        assert (row["px"], row["amendResult"]) == ("80100", "0")
        await asyncio.to_thread(trade.cancel_order, instId=INST, clOrdId="wsamend1")
