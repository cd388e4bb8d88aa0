"""The WebSocket side: `/ws/v5/public` (tickers, books5, bbo-tbt, funding-rate, mark-price,
open-interest), `/ws/v5/business` (candle channels; orders-algo after login) and `/ws/v5/private`
(login; orders, positions, account).

Protocol as OKX: text `ping` → `pong`; one ack per subscribed arg; errors 60009 (login failed),
60011 (please log in), 60012 (invalid request), 60018 (wrong URL/channel/instId), 64001 (candles
on /public), 64002 (market channels on /business); a socket with no traffic either way for 30 s is
closed with code 4004. Market pushes are throttled like OKX's (tickers/books ≤ every 100 ms on
change, candles ≤ 1/s with every closed bar pushed confirmed, funding every 30 s); private pushes
follow engine events, positions/account also send a snapshot on subscribe and every 10 s.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from trading_bot.exchange.sim import okx_format, rest_market
from trading_bot.exchange.sim.auth import check_ws_login
from trading_bot.exchange.sim.orders import SimAlgo, SimOrder, SimPosition
from trading_bot.exchange.sim.rest_account import SIM_UID, position_row
from trading_bot.exchange.sim.series import BAR_SPECS

if TYPE_CHECKING:
    from trading_bot.exchange.sim.events import Event
    from trading_bot.exchange.sim.server import SimServer

Json = dict[str, Any]
MARKET_CHANNELS = {"tickers": 0.1, "books5": 0.1, "bbo-tbt": 0.1, "mark-price": 0.2, "funding-rate": 30.0,
                   "open-interest": 3.0}  # channel → minimum seconds between pushes
CANDLE_CHANNELS = {f"candle{bar}" for bar in BAR_SPECS}
PRIVATE_CHANNELS = {"orders", "positions", "account"}
SNAPSHOT_EVERY_S = 10.0
MOVED = ("This channel has been migrated to the '/business' URL. Please subscribe using the new URL. More details "
         "can refer to: https://www.okx.com/help-center/changes-to-v5-api-websocket-subscription-parameter-and-url")
NOT_BUSINESS = ('This channel is not supported by "/business" URL. Please use "/private" URL(for private channels), '
                'or "/public" URL(for public channels). More details can refer to: '
                "https://www.okx.com/help-center/changes-to-v5-api-websocket-subscription-parameter-and-url")


class WsError(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass
class Sub:
    arg: Json
    last_push: float = 0.0
    last_payload: str = ""
    last_confirmed: int = -1  # candles: newest closed bar already pushed


@dataclass(eq=False)  # identity semantics: connections live in a set
class Conn:
    ws: web.WebSocketResponse
    kind: str
    transport: Any
    conn_id: str = field(default_factory=lambda: secrets.token_hex(4))
    logged_in: bool = False
    subs: dict[str, Sub] = field(default_factory=dict)
    last_traffic: float = field(default_factory=time.monotonic)


def _key(arg: Json) -> str:
    return json.dumps(arg, sort_keys=True)


class WsHub:
    def __init__(self, server: SimServer) -> None:
        self.server = server
        self.conns: set[Conn] = set()
        self._orders: list[Json] = []
        self._algos: list[Json] = []
        self._positions: dict[str, Json] = {}
        self._account_dirty = False
        self.sent = 0

    # --- connections ---------------------------------------------------------------------------
    async def handle(self, request: web.Request, kind: str) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = Conn(ws, kind, request.transport)
        self.conns.add(conn)
        try:
            async for msg in ws:
                conn.last_traffic = time.monotonic()
                if msg.type == WSMsgType.TEXT:
                    await self._on_text(conn, msg.data)
        finally:
            self.conns.discard(conn)
        return ws

    async def _send(self, conn: Conn, payload: Json | str) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
        try:
            await conn.ws.send_str(text)
        except (ConnectionResetError, RuntimeError):
            self.conns.discard(conn)
            return
        conn.last_traffic = time.monotonic()
        self.sent += 1

    async def _on_text(self, conn: Conn, text: str) -> None:
        if text == "ping":
            await self._send(conn, "pong")
            return
        try:
            message = json.loads(text)
            op, args = message.get("op"), message.get("args")
            if op not in ("subscribe", "unsubscribe", "login") or not isinstance(args, list) or not args:
                raise ValueError
        except (ValueError, AttributeError):
            await self._send(conn, {"event": "error", "code": "60012", "msg": f"Invalid request: {text}",
                                    "connId": conn.conn_id})
            return
        ident = {"id": message["id"]} if "id" in message else {}
        if op == "login":
            await self._login(conn, args[0] if isinstance(args[0], dict) else {}, ident)
            return
        for arg in args:
            await self._subscription(conn, op, arg, ident, text)

    async def _login(self, conn: Conn, args: Json, ident: Json) -> None:
        if conn.kind == "public" or not check_ws_login(args, self.server.creds, time.time()):
            await self._send(conn, {**ident, "event": "error", "code": "60009", "msg": "Login failed.",
                                    "connId": conn.conn_id})
            return
        conn.logged_in = True
        await self._send(conn, {**ident, "event": "login", "code": "0", "msg": "", "connId": conn.conn_id})

    async def _subscription(self, conn: Conn, op: str, arg: Any, ident: Json, raw: str) -> None:
        try:
            if not isinstance(arg, dict) or not isinstance(arg.get("channel"), str):
                raise WsError("60012", f"Invalid request: {raw}")
            self._validate(conn, arg)
        except WsError as exc:
            await self._send(conn, {**ident, "event": "error", "code": exc.code, "msg": exc.msg, "connId": conn.conn_id})
            return
        key = _key(arg)
        if op == "subscribe":
            conn.subs[key] = Sub(arg)
        else:
            conn.subs.pop(key, None)
        await self._send(conn, {**ident, "event": op, "arg": arg, "connId": conn.conn_id})
        if op == "subscribe":
            await self._initial(conn, conn.subs[key])

    def _validate(self, conn: Conn, arg: Json) -> None:
        channel = arg["channel"]
        inst_id = arg.get("instId")
        wrong = WsError("60018", f"Wrong URL or channel:{channel},instId:{inst_id} doesn't exist. Please use the "
                                 "correct URL, channel and parameters referring to API document.")
        if channel in CANDLE_CHANNELS and conn.kind == "public":
            raise WsError("64001", MOVED)
        if channel in MARKET_CHANNELS and conn.kind == "business":
            raise WsError("64002", NOT_BUSINESS)
        market = channel in MARKET_CHANNELS and conn.kind == "public"
        candle = channel in CANDLE_CHANNELS and conn.kind == "business"
        private = (channel in PRIVATE_CHANNELS and conn.kind == "private") or (
            channel == "orders-algo" and conn.kind == "business")
        if not (market or candle or private):
            raise wrong
        if private:
            if not conn.logged_in:
                raise WsError("60011", "Please log in")
            if channel != "account" and arg.get("instType") not in ("SWAP", "ANY"):
                raise WsError("60012", f"Invalid request: {json.dumps({'op': 'subscribe', 'args': [arg]})}")
            return
        if not inst_id:
            raise WsError("60012", f"Invalid request: {json.dumps({'op': 'subscribe', 'args': [arg]})}")
        if inst_id not in self.server.venue.market.data:
            raise wrong

    async def _initial(self, conn: Conn, sub: Sub) -> None:
        channel = sub.arg["channel"]
        if channel in ("positions", "account"):
            await self._send(conn, self._snapshot(sub.arg))
            sub.last_push = time.monotonic()
        elif channel in CANDLE_CHANNELS:
            rows = self._candle_rows(sub.arg, None)
            sub.last_confirmed = next((int(r[0]) for r in rows if r[8] == "1"), -1)

    # --- events from the engine ---------------------------------------------------------------
    def collect_events(self) -> None:
        engine = self.server.venue.engine
        events = engine.events.drain()
        amends = _amend_pushes(events)
        for index, event in enumerate(events):
            match event:
                case ("order", SimOrder() as order):
                    self._orders.append(okx_format.ws_order(order, amend=index in amends))
                case ("algo", SimAlgo() as algo):
                    self._algos.append(okx_format.algo(algo, engine.quotes.mark(algo.inst_id)))
                case ("position", SimPosition() as pos):
                    self._positions[pos.pos_id] = position_row(engine, pos)
                    self._account_dirty = True
                case ("account", None):
                    self._account_dirty = True

    # --- pushes --------------------------------------------------------------------------------
    async def dispatch(self) -> None:
        now = time.monotonic()
        idle = self.server.options.idle_timeout_s
        for conn in list(self.conns):
            if now - conn.last_traffic > idle:
                self.conns.discard(conn)
                await conn.ws.close(code=4004, message=b"No data received in 30s")
        if self.server.faults.pause_pushes:
            return
        orders, algos, positions, account = self._orders, self._algos, list(self._positions.values()), self._account_dirty
        self._orders, self._algos, self._positions, self._account_dirty = [], [], {}, False
        cache: dict[str, Json | None] = {}
        market_paused = self.server.faults.pause_market_data
        for conn in list(self.conns):
            for sub in list(conn.subs.values()):
                if market_paused and _is_market_data(sub.arg["channel"]):
                    continue
                await self._push(conn, sub, now, cache, orders, algos, positions, account)

    async def _push(self, conn: Conn, sub: Sub, now: float, cache: dict[str, Json | None], orders: list[Json],
                    algos: list[Json], positions: list[Json], account: bool) -> None:
        arg, channel = sub.arg, sub.arg["channel"]
        if channel == "orders":
            for row in orders:
                if _matches(arg, row):
                    await self._send(conn, {"arg": {**arg, "uid": SIM_UID}, "data": [row]})
        elif channel == "orders-algo":
            for row in algos:
                if _matches(arg, row):
                    await self._send(conn, {"arg": {**arg, "uid": SIM_UID}, "data": [row]})
        elif channel in ("positions", "account"):
            await self._push_account_side(conn, sub, now, positions, account)
        elif channel in CANDLE_CHANNELS:
            if now - sub.last_push >= 1.0:
                await self._push_candles(conn, sub)
                sub.last_push = now
        elif now - sub.last_push >= MARKET_CHANNELS[channel]:
            key = f"{channel}:{arg['instId']}"
            if key not in cache:
                cache[key] = self._market_data(channel, arg["instId"])
            data = cache[key]
            payload = json.dumps({k: v for k, v in (data or {}).items() if k != "ts"}, sort_keys=True)
            if data is not None and (payload != sub.last_payload or channel in ("funding-rate", "open-interest")):
                sub.last_payload, sub.last_push = payload, now
                await self._send(conn, {"arg": arg, "data": [data]})

    async def _push_account_side(self, conn: Conn, sub: Sub, now: float, positions: list[Json], account: bool) -> None:
        arg = sub.arg
        rows = [p for p in positions if _matches(arg, p)] if arg["channel"] == "positions" else []
        if rows:  # even when a snapshot is due: it lists open positions only, a close would go unheard
            await self._send(conn, {"arg": {**arg, "uid": SIM_UID}, "eventType": "event_update", "curPage": 1,
                                    "lastPage": True, "data": rows})
        if now - sub.last_push >= SNAPSHOT_EVERY_S:
            sub.last_push = now
            await self._send(conn, self._snapshot(arg))
        elif arg["channel"] == "account" and account:
            await self._send(conn, self._account(arg, "event_update"))

    def _snapshot(self, arg: Json) -> Json:
        if arg["channel"] == "account":
            return self._account(arg, "snapshot")
        engine = self.server.venue.engine
        rows = [position_row(engine, p) for p in engine.positions.by_key.values()]
        return {"arg": {**arg, "uid": SIM_UID}, "eventType": "snapshot", "curPage": 1, "lastPage": True,
                "data": [r for r in rows if _matches(arg, r)]}

    def _account(self, arg: Json, event_type: str) -> Json:
        engine = self.server.venue.engine
        return {"arg": {**arg, "uid": SIM_UID}, "eventType": event_type, "curPage": 1, "lastPage": True,
                "data": [okx_format.balance(engine.account.figures(), engine.account.u_time, ws=True)]}

    def _market_data(self, channel: str, inst_id: str) -> Json | None:
        venue = self.server.venue
        if channel == "tickers":
            return rest_market.ticker_row(venue, inst_id)
        if channel in ("books5", "bbo-tbt"):
            snap = rest_market.book_snapshot(venue, inst_id, 5 if channel == "books5" else 1)
            return {**snap, "instId": inst_id, "seqId": venue.now_ms // 100} if channel == "books5" else \
                {**snap, "seqId": venue.now_ms // 100}
        if channel == "mark-price":
            return {"instType": "SWAP", "instId": inst_id, "markPx": rest_market.num_px(venue, inst_id),
                    "ts": str(venue.now_ms)}
        if channel == "funding-rate":
            return rest_market.funding_row(venue, inst_id)
        return rest_market.open_interest_row(venue, inst_id)

    def _candle_rows(self, arg: Json, before: int | None) -> list[list[str]]:
        venue = self.server.venue
        inst_id, bar = arg["instId"], arg["channel"].removeprefix("candle")
        data = venue.data(inst_id)
        rows = data.candles(bar, venue.now_ms, venue.price(inst_id), None, before, 100)
        return [okx_format.candle(r, data.inst) for r in rows]

    async def _push_candles(self, conn: Conn, sub: Sub) -> None:
        rows = self._candle_rows(sub.arg, sub.last_confirmed if sub.last_confirmed >= 0 else None)
        for row in self.server.faults.spoil_candles(rows[::-1]):  # oldest first: every closed bar, then the forming one
            if row[8] == "1":
                sub.last_confirmed = max(sub.last_confirmed, int(row[0]))
            await self._send(conn, {"arg": sub.arg, "data": [row]})

    async def notice_and_close(self) -> None:
        for conn in list(self.conns):
            await self._send(conn, {"event": "notice", "code": "64008", "msg": "The connection will soon be closed "
                                    "for a service upgrade. Please reconnect.", "connId": conn.conn_id})
            await conn.ws.close(code=1001, message=b"server shutting down")

    def drop_all(self) -> int:
        """Cut every connection without a close frame, as a network failure would."""
        dropped = list(self.conns)
        for conn in dropped:
            conn.transport.abort() if conn.transport is not None else asyncio.ensure_future(conn.ws.close())
        self.conns.clear()
        return len(dropped)


def _is_market_data(channel: str) -> bool:
    return channel in MARKET_CHANNELS or channel in CANDLE_CHANNELS


def _matches(arg: Json, row: Json) -> bool:
    inst_type = arg.get("instType", "ANY")
    if inst_type not in ("ANY", row.get("instType", "SWAP")):
        return False
    if arg.get("instId") and arg["instId"] != row.get("instId"):
        return False
    return not arg.get("instFamily") or row.get("instId", "").startswith(arg["instFamily"] + "-")


def _amend_pushes(events: list[Event]) -> set[int]:
    """The indexes of the order events an amend emitted: each is the last event of its order
    before the amend's marker (which the REST handler adds once the engine is done)."""
    marked: set[str] = set()
    found: set[int] = set()
    for index in range(len(events) - 1, -1, -1):
        match events[index]:
            case ("amended", str() as ord_id):
                marked.add(ord_id)
            case ("order", SimOrder() as order) if order.ord_id in marked:
                marked.discard(order.ord_id)
                found.add(index)
    return found
