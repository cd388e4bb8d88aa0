"""An OKX-format WebSocket firehose for the ingestion benchmark, run in its own process.

It answers subscribes on /ws/v5/public and /ws/v5/business like OKX and then pushes at a fixed total
rate: closed 1m candles (one new bar per message, advancing one minute per instrument) on
/business, tickers and books5 stamped with the wall time of sending on /public. It remembers when
it sent each candle so the benchmark can measure send → committed-row lag in PostgreSQL.
(The simulator throttles its pushes like OKX — tickers ≤ 10/s, candles ≤ 1/s per channel — so it
cannot produce thousands of messages per second; this server can.)
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

FIRST_BAR_MS = 1_704_067_200_000  # 2024-01-01T00:00Z
MINUTE_MS = 60_000
TICK_SECONDS = 0.01


@dataclass
class Plan:
    port: int
    rate: int  # messages per second, all channels together
    seconds: float
    instruments: list[str]
    candle_share: float = 0.5  # the rest is split between tickers and books5


@dataclass
class State:
    public: list[ServerConnection] = field(default_factory=list)
    business: list[ServerConnection] = field(default_factory=list)
    sent_candles: dict[str, float] = field(default_factory=dict)  # "inst:ts_ms" -> wall send time
    sent_public: int = 0
    started: float = 0.0
    finished: float = 0.0


def candle_row(ts_ms: int, n: int) -> list[str]:
    base = 40_000 + (n % 1000) / 10
    return [str(ts_ms), f"{base:.1f}", f"{base + 5:.1f}", f"{base - 5:.1f}", f"{base + 1:.1f}", "12.34",
            "0.1234", f"{0.1234 * base:.4f}", "1"]


def ticker(inst_id: str, n: int) -> dict[str, Any]:
    px = 40_000 + (n % 500) / 10
    return {"instType": "SWAP", "instId": inst_id, "last": f"{px:.1f}", "lastSz": "1", "askPx": f"{px + 0.1:.1f}",
            "askSz": "10", "bidPx": f"{px:.1f}", "bidSz": "12", "open24h": "40000", "high24h": "41000",
            "low24h": "39000", "volCcy24h": "1000", "vol24h": "100000", "sodUtc0": "40000", "sodUtc8": "40000",
            "ts": str(int(time.time() * 1000))}


def books(n: int) -> dict[str, Any]:
    px = 40_000 + (n % 500) / 10
    return {"asks": [[f"{px + 0.1 * (i + 1):.1f}", "10", "0", "1"] for i in range(5)],
            "bids": [[f"{px - 0.1 * i:.1f}", "12", "0", "1"] for i in range(5)],
            "ts": str(int(time.time() * 1000)), "seqId": n}


async def handler(ws: ServerConnection, state: State) -> None:
    kind = "business" if ws.request is not None and ws.request.path.endswith("/business") else "public"
    try:
        async for raw in ws:
            if raw == "ping":
                await ws.send("pong")
                continue
            request = json.loads(raw)
            for arg in request.get("args", []):
                await ws.send(json.dumps({"event": "subscribe", "arg": arg, "connId": "bench"}))
            (state.business if kind == "business" else state.public).append(ws)
    except ConnectionClosed:
        pass


async def produce(plan: Plan, state: State) -> None:
    while not (state.public and state.business):
        await asyncio.sleep(0.01)
    state.started = time.monotonic()
    sent, n = 0, 0
    bar = dict.fromkeys(plan.instruments, FIRST_BAR_MS)
    while (elapsed := time.monotonic() - state.started) < plan.seconds:
        due = int(plan.rate * elapsed) - sent
        for _ in range(due):
            inst = plan.instruments[n % len(plan.instruments)]
            if (n % 100) < plan.candle_share * 100:
                row = candle_row(bar[inst], n)
                state.sent_candles[f"{inst}:{bar[inst]}"] = time.time()
                bar[inst] += MINUTE_MS
                await state.business[-1].send(json.dumps({"arg": {"channel": "candle1m", "instId": inst}, "data": [row]}))
            else:
                channel, item = ("tickers", ticker(inst, n)) if n % 2 else ("books5", books(n))
                await state.public[-1].send(json.dumps({"arg": {"channel": channel, "instId": inst}, "data": [item]}))
                state.sent_public += 1
            n += 1
        sent += due
        await asyncio.sleep(TICK_SECONDS)
    state.finished = time.monotonic()


async def serve_plan(plan: Plan, report: Connection) -> None:
    state = State()
    async with serve(lambda ws: handler(ws, state), "127.0.0.1", plan.port, ping_interval=None,
                     max_queue=None, write_limit=2**22):
        report.send("ready")
        await produce(plan, state)
        report.send({"sent_candles": state.sent_candles, "sent_public": state.sent_public,
                     "seconds": state.finished - state.started})
        await asyncio.sleep(3600)  # keep the sockets open until the benchmark ends this process


def run(plan: Plan, report: Connection) -> None:
    asyncio.run(serve_plan(plan, report))
