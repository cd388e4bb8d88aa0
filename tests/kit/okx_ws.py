"""A small OKX-like WebSocket server for client tests (real sockets, `websockets` server):
login with signature check, subscribe acks, text ping → pong, scripted pushes, and switches to
drop connections, go silent or refuse the login."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.kit.services import free_port


@dataclass
class FakeOkxWs:
    api_key: str = "ws-key-0001"
    secret: str = "ws-secret-0001"
    passphrase: str = "ws-pass-0001"
    reject_login: bool = False
    silent: bool = False  # answer nothing, not even pong
    port: int = field(default_factory=free_port)
    received: list[tuple[int, str]] = field(default_factory=list)  # (connection number, raw frame)
    connections: int = 0
    live: list[ServerConnection] = field(default_factory=list)
    subscribed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/v5/private"

    def frames(self, op: str) -> list[tuple[int, dict[str, Any]]]:
        found = []
        for conn, raw in self.received:
            if raw.startswith("{") and json.loads(raw).get("op") == op:
                found.append((conn, json.loads(raw)))
        return found

    async def push(self, message: dict[str, Any] | str) -> None:
        """Send to every open connection (a str is sent verbatim, e.g. a malformed frame)."""
        raw = message if isinstance(message, str) else json.dumps(message)
        for ws in list(self.live):
            try:
                await ws.send(raw)
            except ConnectionClosed:
                pass

    async def drop(self) -> None:
        """Cut every connection abruptly (no close handshake), like a network failure."""
        for ws in list(self.live):
            ws.transport.abort()

    def _login_ok(self, args: dict[str, Any]) -> bool:
        prehash = f"{args.get('timestamp')}GET/users/self/verify"
        sign = base64.b64encode(hmac.new(self.secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()
        return (not self.reject_login and args.get("apiKey") == self.api_key
                and args.get("passphrase") == self.passphrase and args.get("sign") == sign)

    async def handle(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        self.live.append(ws)
        try:
            async for raw in ws:
                self.received.append((number, str(raw)))
                if self.silent:
                    continue
                if raw == "ping":
                    await ws.send("pong")
                    continue
                await self._answer(ws, json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            self.live.remove(ws)

    async def _answer(self, ws: ServerConnection, request: dict[str, Any]) -> None:
        if request.get("op") == "login":
            if self._login_ok(request["args"][0]):
                await ws.send(json.dumps({"event": "login", "code": "0", "msg": "", "connId": "c1"}))
            else:
                await ws.send(json.dumps({"event": "error", "code": "60009", "msg": "Login failed.", "connId": "c1"}))
        elif request.get("op") == "subscribe":
            for arg in request["args"]:
                await ws.send(json.dumps({"event": "subscribe", "arg": arg, "connId": "c1"}))
            self.subscribed.set()


@asynccontextmanager
async def fake_okx_ws(**options: Any) -> AsyncIterator[FakeOkxWs]:
    server = FakeOkxWs(**options)
    async with serve(server.handle, "127.0.0.1", server.port, ping_interval=None):
        yield server
