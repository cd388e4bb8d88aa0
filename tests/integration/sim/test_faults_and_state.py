"""Fault switches, the fast-forward market clock, and state that survives a restart."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import websockets
from okx.Account import AccountAPI
from okx.MarketData import MarketAPI
from okx.PublicData import PublicAPI
from okx.Trade import TradeAPI

from tests.kit.sim import RunningSim, running_sim
from trading_bot.exchange.sim import ws as sim_ws
from trading_bot.exchange.sim.auth import sign

INST = "BTC-USDT-SWAP"


def test_timeout_fault_places_the_order_anyway_and_okx_does_not_deduplicate() -> None:
    with running_sim(faults={"timeout_next_orders": 1}) as sim:
        trade, account = sim.okx(TradeAPI), sim.okx(AccountAPI)
        answer = trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="market", sz="1", clOrdId="c9")
        assert answer["code"] == "50004" and "does not mean" in answer["msg"]
        assert trade.get_order(instId=INST, clOrdId="c9")["data"][0]["state"] == "filled"  # look it up first!
        trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="market", sz="1", clOrdId="c9")
        assert account.get_positions()["data"][0]["pos"] == "2"  # a blind retry doubled the position


def test_unavailable_and_delay_faults() -> None:
    with running_sim() as sim:
        public = sim.okx(PublicAPI)
        sim.set_faults(fail_next=2)
        assert public.get_system_time()["code"] == "50001"
        assert httpx.get(f"{sim.rest_url}/api/v5/public/time").status_code == 503
        assert public.get_system_time()["code"] == "0"
        sim.set_faults(delay_ms=300)
        started = time.perf_counter()
        public.get_system_time()
        assert time.perf_counter() - started >= 0.3


def test_order_delay_holds_the_answer_of_a_placed_order_and_counts_it() -> None:
    with running_sim() as sim:
        trade, public = sim.okx(TradeAPI), sim.okx(PublicAPI)
        sim.set_faults(delay_orders_ms=1500)
        started = time.perf_counter()
        public.get_system_time()
        assert time.perf_counter() - started < 0.5, "other endpoints are not delayed"
        placing = threading.Thread(target=trade.place_order, kwargs=dict(
            instId=INST, tdMode="cross", side="buy", ordType="market", sz="1", clOrdId="held1"))
        placing.start()
        deadline = time.monotonic() + 5
        while sim.venue_state()["heldOrders"] != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sim.venue_state()["heldOrders"] == 1
        assert trade.get_order(instId=INST, clOrdId="held1")["data"][0]["state"] == "filled", "placed at once"
        placing.join(timeout=10)
        assert sim.venue_state()["heldOrders"] == 0
        assert time.perf_counter() - started >= 1.5
        assert trade.get_order(instId=INST, clOrdId="held1")["data"][0]["state"] == "filled"


@asynccontextmanager
async def private_ws(sim: RunningSim, channel: str) -> AsyncIterator[websockets.ClientConnection]:
    """A logged-in private WebSocket subscribed to `channel`, its acks read."""
    async with websockets.connect(sim.ws_private_url) as ws:
        await _login(ws, sim)
        await _subscribe(ws, {"channel": channel, "instType": "SWAP"})
        yield ws


async def test_paused_pushes_are_held_back_then_delivered() -> None:
    with running_sim() as sim:
        async with private_ws(sim, "orders") as ws:
            await asyncio.to_thread(sim.set_faults, pause_pushes=True)
            trade = sim.okx(TradeAPI)
            await asyncio.to_thread(trade.place_order, instId=INST, tdMode="cross", side="buy", ordType="market",
                                    sz="1")
            try:
                await asyncio.wait_for(ws.recv(), timeout=0.5)
                raise AssertionError("a push went out while pushes were paused")
            except TimeoutError:
                pass
            await asyncio.to_thread(sim.set_faults, pause_pushes=False)
            pushed = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            assert pushed["data"][0]["state"] == "filled"


async def test_a_position_event_is_pushed_even_when_the_periodic_snapshot_is_due(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A position that closed while pushes were held (or in the tick a snapshot falls due) still gets
    its event: the snapshot lists open positions only, so without it the close would go unheard."""
    monkeypatch.setattr(sim_ws, "SNAPSHOT_EVERY_S", 1.0)  # (10 s on the venue: the test need not wait that long)
    with running_sim() as sim:
        async with private_ws(sim, "positions") as ws:
            await asyncio.to_thread(sim.set_faults, pause_pushes=True)
            trade = sim.okx(TradeAPI)
            await asyncio.to_thread(trade.place_order, instId=INST, tdMode="cross", side="buy", ordType="market",
                                    sz="1")
            await asyncio.to_thread(trade.close_positions, instId=INST, mgnMode="cross")
            await asyncio.sleep(1.2)  # a snapshot is due when the pushes resume
            await asyncio.to_thread(sim.set_faults, pause_pushes=False)
            pushes = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                try:
                    pushes.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=0.5)))
                except TimeoutError:
                    pass
    rows = [(p["eventType"], row["pos"]) for p in pushes for row in p["data"]]
    assert ("event_update", "0") in rows, pushes
    assert {p["eventType"] for p in pushes} == {"event_update", "snapshot"}


def test_bad_candle_fault_spoils_the_next_rows_served_over_rest_and_the_websocket() -> None:
    with running_sim(speed=0) as sim:
        market = sim.okx(MarketAPI)
        clean = market.get_candlesticks(instId=INST, bar="15m", limit="3")["data"]
        sim.set_faults(bad_candles=3)
        spoiled = market.get_candlesticks(instId=INST, bar="15m", limit="2")["data"]
        assert [row[2] for row in spoiled] == [str(Decimal(row[3]) / 2) for row in clean[:2]]  # high = low / 2
        assert [row[:2] + row[3:] for row in spoiled] == [row[:2] + row[3:] for row in clean[:2]]
        assert sim.venue_state()["faults"]["bad_candles"] == 1  # one left for the next row served

        async def first_push() -> list[str]:
            async with websockets.connect(sim.ws_business_url) as ws:
                await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "candle15m", "instId": INST}]}))
                await ws.recv()
                return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))["data"][0]

        pushed = asyncio.run(first_push())
        assert Decimal(pushed[2]) < Decimal(pushed[3]) and pushed[0] == clean[0][0]  # the forming bar, spoiled
        assert sim.venue_state()["faults"]["bad_candles"] == 0
        assert market.get_candlesticks(instId=INST, bar="15m", limit="3")["data"] == clean


def test_fast_forward_clock_is_the_venue_clock() -> None:
    with running_sim(speed=600) as sim:
        public = sim.okx(PublicAPI)
        first = int(public.get_system_time()["data"][0]["ts"])
        time.sleep(0.5)
        second = int(public.get_system_time()["data"][0]["ts"])
        assert second - first >= 600 * 500  # at least 600 × the wall time that passed
        ticker_ts = int(sim.okx(MarketAPI).get_ticker(instId=INST)["data"][0]["ts"])
        assert ticker_ts >= second


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with running_sim(state_file=state) as sim:
        trade = sim.okx(TradeAPI)
        trade.place_order(instId=INST, tdMode="isolated", side="sell", ordType="market", sz="3", clOrdId="keep1")
        last = float(sim.okx(MarketAPI).get_ticker(instId=INST)["data"][0]["last"])
        resting = trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="limit", sz="1",
                                    px=f"{last * 0.9:.1f}", clOrdId="rest1")
        assert resting["code"] == "0", resting
        before = sim.okx(AccountAPI).get_account_balance()["data"][0]["details"][0]["cashBal"]
        sim.advance(minutes=30)
    assert state.exists()
    with running_sim(state_file=state) as again:
        account, trade = again.okx(AccountAPI), again.okx(TradeAPI)
        assert account.get_positions()["data"][0]["pos"] == "-3"
        assert account.get_account_balance()["data"][0]["details"][0]["cashBal"] == before
        assert trade.get_order(instId=INST, clOrdId="keep1")["data"][0]["state"] == "filled"
        assert [o["clOrdId"] for o in trade.get_order_list()["data"]] == ["rest1"]
        assert int(again.okx(PublicAPI).get_system_time()["data"][0]["ts"]) >= 1767571200000 + 30 * 60_000


def test_a_shock_moves_the_price_at_the_next_bar_and_fires_the_take_profit_it_crosses() -> None:
    with running_sim() as sim:  # paused clock: only `advance` moves it
        trade, market = sim.okx(TradeAPI), sim.okx(MarketAPI)
        before = float(market.get_ticker(instId=INST)["data"][0]["last"])
        placed = trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="market", sz="1", clOrdId="s1",
                                   attachAlgoOrds=[{"tpTriggerPx": f"{before * 1.01:.1f}",
                                                    "slTriggerPx": f"{before * 0.95:.1f}"}])
        assert placed["code"] == "0", placed
        sim.call(lambda s: s.control("shock", {"instId": INST, "pct": 2}))
        sim.advance(seconds=61)  # past the next 1-minute bar's open
        after = float(market.get_ticker(instId=INST)["data"][0]["last"])
        assert after / before > 1.015, (before, after)
        assert sim.okx(AccountAPI).get_positions()["data"] == [], "the take-profit it crossed closed the position"
        fills = trade.get_fills(instType="SWAP")["data"]
        assert [f["side"] for f in fills] == ["sell", "buy"] and float(fills[0]["fillPx"]) >= before * 1.01


async def test_paused_market_data_stops_public_and_candle_pushes_only() -> None:
    """The market-data service stalls: tickers (/public) and candles (/business) stop, pongs and
    private pushes go on; on resume both channels push again."""
    with running_sim(speed=60) as sim:  # the price moves every 100 ms: a ticker push each time
        async with websockets.connect(sim.ws_public_url) as public, \
                websockets.connect(sim.ws_business_url) as business, websockets.connect(sim.ws_private_url) as private:
            await _subscribe(public, {"channel": "tickers", "instId": INST})
            await _subscribe(business, {"channel": "candle1m", "instId": INST})
            await _login(private, sim)
            await _subscribe(private, {"channel": "orders", "instType": "SWAP"})
            assert await _next_push(public) == "tickers" and await _next_push(business) == "candle1m"

            await asyncio.to_thread(sim.set_faults, pause_market_data=True)
            await _drain(public)  # what was on the way before the switch
            await _drain(business)
            trade = sim.okx(TradeAPI)
            await asyncio.to_thread(trade.place_order, instId=INST, tdMode="cross", side="buy", ordType="market",
                                    sz="1")
            assert await _next_push(private) == "orders"
            assert await _drain(public, seconds=1.5) == [] and await _drain(business, seconds=1.5) == []
            await public.send("ping")
            assert await asyncio.wait_for(public.recv(), timeout=2) == "pong"
            assert sim.venue_state()["faults"]["pause_market_data"] is True

            await asyncio.to_thread(sim.set_faults, pause_market_data=False)
            assert await _next_push(public) == "tickers" and await _next_push(business) == "candle1m"


async def _subscribe(ws: websockets.ClientConnection, arg: dict[str, str]) -> None:
    await ws.send(json.dumps({"op": "subscribe", "args": [arg]}))
    assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["event"] == "subscribe"


async def _login(ws: websockets.ClientConnection, sim: RunningSim) -> None:
    ts = int(time.time())
    await ws.send(json.dumps({"op": "login", "args": [{"apiKey": sim.api_key, "passphrase": sim.passphrase,
                              "timestamp": ts, "sign": sign(sim.secret_key, f"{ts}GET/users/self/verify")}]}))
    assert json.loads(await asyncio.wait_for(ws.recv(), timeout=5))["event"] == "login"


async def _next_push(ws: websockets.ClientConnection, timeout: float = 5) -> str:
    """The channel of the next data push."""
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=timeout))
        if "data" in message:
            return str(message["arg"]["channel"])


async def _drain(ws: websockets.ClientConnection, seconds: float = 0.3) -> list[str]:
    """Every frame received within `seconds`."""
    frames: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(str(await asyncio.wait_for(ws.recv(), timeout=left)))
        except TimeoutError:
            break
    return frames
