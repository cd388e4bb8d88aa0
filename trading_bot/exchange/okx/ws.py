"""Our own OKX v5 WebSocket client on `websockets` (python-okx's classes have no reconnect, no
text ping and a blind login wait; see PYTHON_OKX_QUIRKS.md).

One `OkxWebSocket` is one connection (public, business or private URL) with its subscriptions:
- login first when credentials are given, waiting for OKX's answer (60009 → `AuthError`, fatal);
- subscribe; every data push `{"arg", "data"}` goes to `on_message` (a handler that raises is
  logged with the truncated payload and the stream goes on; so is a frame that is not JSON);
- a text `ping` every `ping_seconds`; a watchdog reconnects when nothing arrived for
  `silence_seconds`; after a close or failure it reconnects with exponential backoff (with
  jitter, capped at `max_backoff_seconds`), logs in again and re-subscribes, then calls
  `on_connected(reconnected=True)` so the consumer can backfill what it missed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from trading_bot.exchange.errors import AuthError
from trading_bot.exchange.okx.endpoints import OkxCredentials
from trading_bot.logs import get_logger, truncate

log = get_logger(__name__)

MessageHandler = Callable[[dict[str, Any]], Awaitable[None]]
ConnectedHandler = Callable[[bool], Awaitable[None]]
LOGIN_PATH = "/users/self/verify"
YIELD_EVERY = 8  # frames handled before the reader yields to the other tasks of the loop


class Silence(Exception):
    """Nothing arrived for too long: the connection is presumed dead."""


def login_args(credentials: OkxCredentials, timestamp: int) -> dict[str, str]:
    """`op: login` arguments: sign = Base64(HMAC-SHA256(secret, ts + "GET" + "/users/self/verify"))."""
    prehash = f"{timestamp}GET{LOGIN_PATH}"
    digest = hmac.new(credentials.secret_key.encode(), prehash.encode(), hashlib.sha256).digest()
    return {
        "apiKey": credentials.api_key,
        "passphrase": credentials.passphrase,
        "timestamp": str(timestamp),
        "sign": base64.b64encode(digest).decode(),
    }


@dataclass
class WsTiming:
    ping_seconds: float = 20.0
    silence_seconds: float = 30.0
    initial_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    login_timeout_seconds: float = 10.0
    open_timeout_seconds: float = 10.0


@dataclass
class WsStats:
    connects: int = 0
    messages: int = 0
    malformed: int = 0
    handler_errors: int = 0
    pings: int = 0
    last_message_at: float = field(default=0.0)


class OkxWebSocket:
    def __init__(
        self,
        url: str,
        subscriptions: list[dict[str, str]],
        on_message: MessageHandler,
        *,
        name: str = "okx-ws",
        credentials: OkxCredentials | None = None,
        on_connected: ConnectedHandler | None = None,
        timing: WsTiming | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.url = url
        self.subscriptions = list(subscriptions)
        self.name = name
        self.stats = WsStats()
        self._on_message = on_message
        self._on_connected = on_connected
        self._credentials = credentials
        self._timing = timing or WsTiming()
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._wall = wall_clock
        self._stopping = asyncio.Event()
        self._ws: ClientConnection | None = None
        self._fatal: AuthError | None = None

    # --- lifecycle ------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect and keep connected until `stop()`; raises AuthError when the login is refused."""
        failures = 0
        while not self._stopping.is_set():
            delivered = await self._session()
            if self._stopping.is_set():
                break
            failures = 0 if delivered else failures + 1
            delay = self.backoff(failures)
            log.warning("ws_reconnecting", ws=self.name, in_seconds=round(delay, 2), failures=failures)
            await self._sleep(delay)

    def backoff(self, failures: int) -> float:
        """initial × 2^failures (1 s after a connection that delivered data, then 2, 4, 8 … s per
        failed attempt) capped, times a jitter in [0.8, 1.0] so many clients do not align."""
        ceiling = min(self._timing.max_backoff_seconds, self._timing.initial_backoff_seconds * 2.0 ** failures)
        return ceiling * self._rng.uniform(0.8, 1.0)

    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def stop(self) -> None:
        self._stopping.set()
        if self._ws is not None:
            await self._ws.close()

    # --- one connection -------------------------------------------------------------------
    async def _session(self) -> bool:
        """One connection from open to close; True when it delivered data (resets the backoff)."""
        before = self.stats.messages
        try:
            # No permessage-deflate: at thousands of pushes per second inflating costs more CPU than
            # the bandwidth it saves on a market-data feed.
            async with connect(self.url, open_timeout=self._timing.open_timeout_seconds, close_timeout=2,
                               max_size=2**23, compression=None) as ws:
                self._ws = ws
                self.stats.connects += 1
                if self._credentials is not None:
                    await self._login(ws, self._credentials)
                await self._send(ws, {"op": "subscribe", "args": self.subscriptions})
                log.info("ws_connected", ws=self.name, url=self.url, connects=self.stats.connects)
                hook = asyncio.create_task(self._connected(ws))
                try:
                    await self._pump(ws)
                finally:
                    hook.cancel()
                if self._fatal is not None:
                    raise self._fatal
        except AuthError:
            raise
        except (OSError, WebSocketException, TimeoutError, Silence) as exc:
            if not self._stopping.is_set():
                log.warning("ws_disconnected", ws=self.name, error=f"{type(exc).__name__}: {exc}")
        finally:
            self._ws = None
        return self.stats.messages > before

    async def _connected(self, ws: ClientConnection) -> None:
        """The consumer's hook (backfill, catch-up), run beside the reader so pushes keep flowing;
        its failure is logged, not fatal — except an AuthError, which ends `run()`."""
        if self._on_connected is None:
            return
        try:
            await self._on_connected(self.stats.connects > 1)
        except AuthError as exc:
            self._fatal = exc
            await ws.close()
        except Exception as exc:
            log.error("ws_on_connected_failed", ws=self.name, error=f"{type(exc).__name__}: {exc}")

    async def _login(self, ws: ClientConnection, credentials: OkxCredentials) -> None:
        await self._send(ws, {"op": "login", "args": [login_args(credentials, int(self._wall()))]})
        async with asyncio.timeout(self._timing.login_timeout_seconds):
            async for raw in ws:
                message = _json(raw)
                if message is None or "event" not in message:
                    continue
                if message.get("event") == "login" and str(message.get("code", "0")) == "0":
                    return
                if message.get("event") == "error":
                    raise AuthError(str(message.get("code")), f"WebSocket login refused: {message.get('msg')}",
                                    endpoint=self.url)
        raise WebSocketException("connection closed during login")

    async def _pump(self, ws: ClientConnection) -> None:
        self.stats.last_message_at = time.monotonic()
        helpers = [asyncio.create_task(self._pinger(ws)), asyncio.create_task(self._watchdog(ws))]
        try:
            frames = 0
            async for raw in ws:
                self.stats.last_message_at = time.monotonic()
                await self._dispatch(raw)
                frames += 1
                if frames % YIELD_EVERY == 0:  # buffered frames never suspend: let flushers and pingers run
                    await asyncio.sleep(0)
        finally:
            for task in helpers:
                task.cancel()
            results = await asyncio.gather(*helpers, return_exceptions=True)
        silence = next((r for r in results if isinstance(r, Silence)), None)
        if silence is not None:
            raise silence

    async def _pinger(self, ws: ClientConnection) -> None:
        while True:
            await asyncio.sleep(self._timing.ping_seconds)
            await ws.send("ping")
            self.stats.pings += 1

    async def _watchdog(self, ws: ClientConnection) -> None:
        step = min(1.0, self._timing.silence_seconds / 4)
        while True:
            await asyncio.sleep(step)
            quiet = time.monotonic() - self.stats.last_message_at
            if quiet > self._timing.silence_seconds:
                log.warning("ws_silent", ws=self.name, quiet_seconds=round(quiet, 1))
                await ws.close(code=4000, reason="client watchdog: no data")
                raise Silence(f"no data for {quiet:.1f}s")

    async def _dispatch(self, raw: str | bytes) -> None:
        if raw == "pong":
            return
        message = _json(raw)
        if message is None:
            self.stats.malformed += 1
            log.warning("ws_message_malformed", ws=self.name, raw=truncate(raw, 300))
            return
        if "event" in message:
            self._on_event(message)
            return
        if "arg" not in message or "data" not in message:
            self.stats.malformed += 1
            log.warning("ws_message_unexpected", ws=self.name, raw=truncate(raw, 300))
            return
        self.stats.messages += 1
        try:
            await self._on_message(message)
        except Exception as exc:  # one bad message must never kill the consumer
            self.stats.handler_errors += 1
            log.error("ws_message_failed", ws=self.name, error=f"{type(exc).__name__}: {exc}", raw=truncate(raw, 300))

    def _on_event(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "error":
            log.error("ws_error_event", ws=self.name, code=message.get("code"), msg=message.get("msg"))
        elif event == "notice":
            log.warning("ws_notice", ws=self.name, code=message.get("code"), msg=message.get("msg"))
        else:
            log.debug("ws_event", ws=self.name, kind=event, arg=message.get("arg"))

    @staticmethod
    async def _send(ws: ClientConnection, payload: dict[str, Any]) -> None:
        await ws.send(json.dumps(payload))


def _json(raw: str | bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except (ValueError, TypeError):
        return None
    return value if isinstance(value, dict) else None
