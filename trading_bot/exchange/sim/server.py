"""The OKX v5 REST + WebSocket server of the simulator (aiohttp, one port).

Every REST request first brings the venue to the current market time, then passes fault
injection, rate limiting and (private endpoints) OKX authentication, then runs its handler. The
envelope is OKX's: `{"code","msg","data"}` with string codes, per-item `sCode/sMsg` for order
writes (code "1" when all items failed), 401 for auth errors (no `data`), 429/50011 for rate
limits, OKX's odd numeric-code 404 for unknown paths. A background task advances the market every
`tick_interval_s` and hands events to the WebSocket hub. `/sim/control/*` lets tests and people
steer the simulator (authenticated with the API key and passphrase).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from trading_bot.exchange.sim import persistence, rest_account, rest_market, rest_trade
from trading_bot.exchange.sim.auth import Credentials, check_rest
from trading_bot.exchange.sim.faults import Faults
from trading_bot.exchange.sim.orders import Reject
from trading_bot.exchange.sim.ratelimit import RateLimiter
from trading_bot.exchange.sim.venue import MarketClock, Venue
from trading_bot.exchange.sim.ws import WsHub
from trading_bot.logs import get_logger

log = get_logger(__name__)
Handler = Callable[[Venue, Any], list[Any]]
NOT_FOUND = {"code": 404, "data": {}, "detailMsg": "", "error_code": "404", "error_message": "Not Found",
             "msg": "Not Found"}
TIMEOUT_MSG = ("API endpoint request timeout. (does not mean that the request was successful or failed, please "
               "check the request result).")


@dataclass(frozen=True)
class Route:
    handler: Handler
    private: bool = False
    items: bool = False  # per-item sCode answers
    timed: bool = False  # inTime/outTime in the envelope


ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "public/time"): Route(rest_market.time_),
    ("GET", "public/instruments"): Route(rest_market.instruments),
    ("GET", "public/funding-rate"): Route(rest_market.funding_rate),
    ("GET", "public/funding-rate-history"): Route(rest_market.funding_history),
    ("GET", "public/open-interest"): Route(rest_market.open_interest),
    ("GET", "public/mark-price"): Route(rest_market.mark_price),
    ("GET", "market/ticker"): Route(rest_market.ticker),
    ("GET", "market/tickers"): Route(rest_market.tickers),
    ("GET", "market/candles"): Route(rest_market.candles),
    ("GET", "market/history-candles"): Route(rest_market.history_candles),
    ("GET", "market/books"): Route(rest_market.books),
    ("GET", "account/balance"): Route(rest_account.balance, True),
    ("GET", "account/positions"): Route(rest_account.positions, True),
    ("GET", "account/config"): Route(rest_account.config, True),
    ("POST", "account/set-position-mode"): Route(rest_account.set_position_mode, True),
    ("POST", "account/set-leverage"): Route(rest_account.set_leverage, True),
    ("GET", "account/leverage-info"): Route(rest_account.leverage_info, True),
    ("POST", "trade/order"): Route(rest_trade.place_order, True, items=True, timed=True),
    ("GET", "trade/order"): Route(rest_trade.get_order, True),
    ("POST", "trade/cancel-order"): Route(rest_trade.cancel_order, True, items=True, timed=True),
    ("POST", "trade/amend-order"): Route(rest_trade.amend_order, True, items=True, timed=True),
    ("GET", "trade/orders-pending"): Route(rest_trade.orders_pending, True),
    ("GET", "trade/orders-history"): Route(rest_trade.orders_history, True),
    ("GET", "trade/fills"): Route(rest_trade.fills, True),
    ("POST", "trade/close-position"): Route(rest_trade.close_position, True),
    ("POST", "trade/order-algo"): Route(rest_trade.place_algo, True, items=True),
    ("POST", "trade/cancel-algos"): Route(rest_trade.cancel_algos, True, items=True),
    ("GET", "trade/orders-algo-pending"): Route(rest_trade.algos_pending, True),
    ("GET", "trade/orders-algo-history"): Route(rest_trade.algos_history, True),
    ("GET", "trade/order-algo"): Route(rest_trade.get_algo, True),
}


@dataclass(frozen=True)
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = any free port
    rate_limits: bool = True
    idle_timeout_s: float = 30.0
    tick_interval_s: float = 0.05
    state_file: Path | None = None
    save_every_s: float = 10.0


class SimServer:
    def __init__(self, venue: Venue, clock: MarketClock, creds: Credentials, options: ServerOptions | None = None,
                 faults: Faults | None = None) -> None:
        self.venue, self.clock, self.creds = venue, clock, creds
        self.options = options or ServerOptions()
        self.faults = faults or Faults()
        self.limiter = RateLimiter(self.options.rate_limits)
        self.hub = WsHub(self)
        self.port = self.options.port
        self.requests = 0
        self.held_orders = 0  # placed orders whose answer waits on the delay_orders_ms fault
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._last_save = time.monotonic()

    # --- lifecycle ----------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_route("*", "/api/v5/{tail:.*}", self._rest)
        app.router.add_route("*", "/sim/control/{action}", self._control)
        for kind in ("public", "private", "business"):
            app.router.add_get(f"/ws/v5/{kind}", self._ws_handler(kind))
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port, reuse_address=True)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._ticker = asyncio.create_task(self._tick_loop())

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        await self.hub.notice_and_close()
        self.save_state()
        if self._runner is not None:
            await self._runner.cleanup()

    def sync(self) -> None:
        """Bring the market to the clock's time and collect what happened for the pushes."""
        self.venue.advance_to(self.clock.now_ms())
        self.hub.collect_events()

    async def _tick_loop(self) -> None:
        while True:
            try:
                self.sync()
                await self.hub.dispatch()
                if time.monotonic() - self._last_save > self.options.save_every_s:
                    self.save_state()
            except Exception:  # noqa: BLE001 - the market must keep running; the failure is logged
                log.exception("sim.tick_failed")
            await asyncio.sleep(self.options.tick_interval_s)

    def save_state(self) -> None:
        self._last_save = time.monotonic()
        if self.options.state_file is not None:
            persistence.save(self.venue, self.options.state_file)

    # --- REST ---------------------------------------------------------------------------------
    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(NOT_FOUND, status=404)

    async def _rest(self, request: web.Request) -> web.Response:
        endpoint = request.path.removeprefix("/api/v5/")
        route = ROUTES.get((request.method, endpoint))
        if route is None:
            return web.json_response(NOT_FOUND, status=404)
        self.requests += 1
        raw = await request.text()
        if self.faults.delay_ms:
            await asyncio.sleep(self.faults.delay_ms / 1000)
        if self.faults.take_failure():
            return _json({"code": "50001", "msg": "Service temporarily unavailable. Please try again later.",
                          "data": []}, 503)
        try:
            answer = self._answer(request, route, endpoint, raw)
            if endpoint == "trade/order" and request.method == "POST" and self.faults.delay_orders_ms:
                self.held_orders += 1  # (a test acts while the client waits inside the call)
                try:
                    await asyncio.sleep(self.faults.delay_orders_ms / 1000)  # placed already; only the answer is late
                finally:
                    self.held_orders -= 1
            return answer
        except Reject as exc:
            body = {"msg": exc.msg, "code": exc.code} if exc.http == 401 else \
                {"code": exc.code, "msg": exc.msg, "data": []}
            return _json(body, exc.http)

    def _answer(self, request: web.Request, route: Route, endpoint: str, raw: str) -> web.Response:
        query: Any = dict(request.query) if request.method == "GET" else _parse_body(raw)
        user = request.headers.get("OK-ACCESS-KEY", "")
        inst_id = query.get("instId", "") if isinstance(query, dict) else ""
        if not self.limiter.allow(endpoint, request.method, user, str(inst_id)):
            return _json({"msg": "Too Many Requests", "code": "50011"}, 429)
        if route.private:
            check_rest(request.headers, request.method, request.raw_path, raw, self.creds, time.time())
        self.sync()
        in_time = self.venue.now_ms * 1000
        data = route.handler(self.venue, query)
        if endpoint in ("market/candles", "market/history-candles"):
            data = self.faults.spoil_candles(data)
        self.hub.collect_events()
        if endpoint == "trade/order" and self.faults.take_order_timeout():
            return _json({"code": "50004", "msg": TIMEOUT_MSG, "data": []}, 400)
        body: dict[str, Any] = {"code": "0", "msg": "", "data": data}
        if route.items:
            failed = sum(1 for item in data if item.get("sCode") != "0")
            if failed:
                body["code"], body["msg"] = ("1", "All operations failed") if failed == len(data) else ("2", "")
        if route.timed:
            body["inTime"], body["outTime"] = str(in_time), str(in_time + 1500)
        return _json(body, 200)

    # --- control ------------------------------------------------------------------------------
    async def _control(self, request: web.Request) -> web.Response:
        if (request.headers.get("OK-ACCESS-KEY") != self.creds.api_key
                or request.headers.get("OK-ACCESS-PASSPHRASE") != self.creds.passphrase):
            return _json({"msg": "Invalid OK-ACCESS-KEY.", "code": "50111"}, 401)
        action = request.match_info["action"]
        body = _parse_body(await request.text()) if request.method == "POST" else {}
        try:
            result = self.control(action, body)
        except (ValueError, KeyError, TypeError) as exc:
            return _json({"code": "51000", "msg": str(exc), "data": []}, 400)
        return _json({"code": "0", "msg": "", "data": [result]}, 200)

    def control(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """state | faults | advance {seconds} | speed {speed} | drop-websockets | shock {instId, pct}."""
        if action == "faults":
            self.faults.update(body)
        elif action == "advance":
            self.clock.advance(int(float(body["seconds"]) * 1000))
        elif action == "speed":
            self.clock.set_speed(float(body["speed"]))
        elif action == "drop-websockets":
            return {"dropped": self.hub.drop_all()}
        elif action == "shock":
            self.venue.market.shock(str(body["instId"]), self.venue.now_ms, float(body["pct"]))
        elif action != "state":
            raise KeyError(f"unknown control action {action!r}")
        self.sync()
        return self.state()

    def state(self) -> dict[str, Any]:
        figures = self.venue.engine.account.figures()
        return {"ts": str(self.venue.now_ms), "speed": self.clock.speed, "equity": str(figures.equity),
                "cash": str(figures.cash), "prices": {i: str(self.venue.engine.quotes.mark(i)) for i in self.venue.market.data},
                "positions": len(self.venue.engine.positions.by_key), "faults": self.faults.as_dict(),
                "heldOrders": self.held_orders,
                "dataEnd": str(self.venue.data_end_ms) if self.venue.market.synthetic is None else ""}

    def _ws_handler(self, kind: str) -> Callable[[web.Request], Any]:
        async def handler(request: web.Request) -> web.StreamResponse:
            return await self.hub.handle(request, kind)

        return handler


def _parse_body(raw: str) -> Any:
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise Reject("50002", "JSON syntax error", 400) from None
    if not isinstance(parsed, dict | list):
        raise Reject("50002", "JSON syntax error", 400)
    return parsed


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(text=json.dumps(body, separators=(",", ":")), status=status, content_type="application/json")
