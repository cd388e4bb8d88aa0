"""OkxWebSocket against a local WebSocket server: login, subscribe, ping, reconnect with backoff,
silence watchdog, re-login and re-subscribe, malformed messages skipped."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import pytest

from tests.kit.okx_ws import FakeOkxWs, fake_okx_ws
from tests.kit.services import free_port
from trading_bot.exchange.errors import AuthError
from trading_bot.exchange.okx.endpoints import OkxCredentials
from trading_bot.exchange.okx.ws import OkxWebSocket, WsTiming

ARGS = [{"channel": "orders", "instType": "SWAP"}, {"channel": "account", "ccy": "USDT"}]
FAST = WsTiming(ping_seconds=0.2, silence_seconds=0.8, initial_backoff_seconds=0.05, max_backoff_seconds=0.2,
                login_timeout_seconds=2)


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def _client(server: FakeOkxWs, received: list[dict[str, Any]], connected: list[bool] | None = None,
            **kwargs: Any) -> OkxWebSocket:
    async def on_message(message: dict[str, Any]) -> None:
        if message["data"] == ["boom"]:
            raise ValueError("handler bug")
        received.append(message)

    async def on_connected(reconnected: bool) -> None:
        if connected is not None:
            connected.append(reconnected)

    creds = OkxCredentials(server.api_key, server.secret, server.passphrase)
    return OkxWebSocket(server.url, ARGS, on_message, name="test", credentials=creds, on_connected=on_connected,
                        timing=kwargs.pop("timing", FAST), rng=random.Random(5), **kwargs)


async def test_login_subscribe_receive_and_ping() -> None:
    async with fake_okx_ws() as server:
        received: list[dict[str, Any]] = []
        client = _client(server, received)
        task = asyncio.create_task(client.run())
        await asyncio.wait_for(server.subscribed.wait(), 5)
        await server.push({"arg": ARGS[0], "data": [{"ordId": "1"}]})
        await until(lambda: len(received) == 1)
        await until(lambda: any(raw == "ping" for _, raw in server.received))
        await client.stop()
        await asyncio.wait_for(task, 5)
    login = server.frames("login")[0][1]["args"][0]
    assert login["apiKey"] == server.api_key and isinstance(login["timestamp"], str)
    assert server.frames("subscribe")[0][1]["args"] == ARGS
    assert '"op": "login"' in server.received[0][1]  # login before anything else
    assert received[0]["data"] == [{"ordId": "1"}] and client.stats.pings >= 1


async def test_dropped_connection_reconnects_relogs_in_and_resubscribes_twice() -> None:
    async with fake_okx_ws() as server:
        received: list[dict[str, Any]] = []
        connected: list[bool] = []
        client = _client(server, received, connected)
        task = asyncio.create_task(client.run())
        for round_ in range(3):
            await until(lambda r=round_: len(server.frames("subscribe")) == r + 1)
            await server.push({"arg": ARGS[0], "data": [{"n": round_}]})
            await until(lambda r=round_: len(received) == r + 1)
            if round_ < 2:
                await server.drop()
        await client.stop()
        await asyncio.wait_for(task, 5)
    assert [conn for conn, _ in server.frames("login")] == [1, 2, 3]
    assert [conn for conn, _ in server.frames("subscribe")] == [1, 2, 3]
    assert connected == [False, True, True]
    assert [m["data"][0]["n"] for m in received] == [0, 1, 2]


async def test_silent_server_is_detected_by_the_watchdog() -> None:
    async with fake_okx_ws() as server:
        client = _client(server, [])
        task = asyncio.create_task(client.run())
        await asyncio.wait_for(server.subscribed.wait(), 5)
        server.silent = True  # no pong, no data: TCP stays open
        await until(lambda: server.connections >= 2, timeout=5)
        server.silent = False
        await until(lambda: len(server.frames("subscribe")) >= 2)
        await client.stop()
        await asyncio.wait_for(task, 5)
    assert client.stats.connects >= 2


async def test_refused_connections_back_off_exponentially_up_to_the_cap() -> None:
    delays: list[float] = []
    timing = WsTiming(initial_backoff_seconds=1, max_backoff_seconds=60, open_timeout_seconds=1)
    client: OkxWebSocket

    async def record(delay: float) -> None:
        delays.append(delay)
        if len(delays) == 8:
            await client.stop()

    client = OkxWebSocket(f"ws://127.0.0.1:{free_port()}/ws/v5/public", ARGS, _noop, timing=timing,
                          rng=random.Random(1), sleep=record)
    await asyncio.wait_for(client.run(), 20)
    ceilings = [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(0.8 * c <= d <= c for d, c in zip(delays, ceilings, strict=True))


async def _noop(_: dict[str, Any]) -> None:
    return None


async def test_refused_login_is_fatal_and_not_retried() -> None:
    async with fake_okx_ws(reject_login=True) as server:
        client = _client(server, [])
        with pytest.raises(AuthError) as caught:
            await asyncio.wait_for(client.run(), 5)
    assert caught.value.code == "60009" and server.connections == 1
    assert server.frames("subscribe") == []


async def test_malformed_frames_and_failing_handlers_are_skipped() -> None:
    async with fake_okx_ws() as server:
        received: list[dict[str, Any]] = []
        client = _client(server, received)
        task = asyncio.create_task(client.run())
        await asyncio.wait_for(server.subscribed.wait(), 5)
        await server.push("{not json")
        await server.push({"unexpected": True})
        await server.push({"arg": ARGS[0], "data": ["boom"]})
        await server.push({"event": "error", "code": "60018", "msg": "Wrong URL or channel"})
        await server.push({"arg": ARGS[0], "data": [{"ok": 1}]})
        await until(lambda: len(received) == 1)
        await client.stop()
        await asyncio.wait_for(task, 5)
    assert received[0]["data"] == [{"ok": 1}]
    assert (client.stats.malformed, client.stats.handler_errors, client.stats.connects) == (2, 1, 1)


async def test_auth_error_in_the_connected_hook_ends_the_client() -> None:
    async with fake_okx_ws() as server:
        async def refuse(_: bool) -> None:
            raise AuthError("50101", "APIKey does not match current environment.")

        client = OkxWebSocket(server.url, ARGS, _noop, timing=FAST, on_connected=refuse,
                              credentials=OkxCredentials(server.api_key, server.secret, server.passphrase))
        with pytest.raises(AuthError, match="50101"):
            await asyncio.wait_for(client.run(), 5)
