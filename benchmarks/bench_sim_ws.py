"""WebSocket push throughput of the simulator to one logged-in client on the private `orders`
channel: 5,000 orders placed and cancelled inside the server (10,000 order events), timed from the
first event to the last push received."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import websockets

from tests.kit.sim import RunningSim, running_sim
from trading_bot.exchange.sim.auth import sign
from trading_bot.exchange.sim.orders import OrderParams

ORDERS = 5000
INST = "BTC-USDT-SWAP"


def _burst(server) -> None:  # noqa: ANN001 - runs on the server's loop
    engine = server.venue.engine
    for _ in range(ORDERS):
        order = engine.place_order(OrderParams(INST, "cross", "buy", "limit", Decimal(1), Decimal(60000)))
        engine.cancel_order(INST, order.ord_id)


async def _measure(sim: RunningSim) -> tuple[int, float]:
    async with websockets.connect(sim.ws_private_url, max_queue=None) as ws:
        ts = int(time.time())
        await ws.send(json.dumps({"op": "login", "args": [{"apiKey": sim.api_key, "passphrase": sim.passphrase,
                                  "timestamp": ts, "sign": sign(sim.secret_key, f"{ts}GET/users/self/verify")}]}))
        await ws.recv()
        await ws.send(json.dumps({"op": "subscribe", "args": [{"channel": "orders", "instType": "SWAP"}]}))
        await ws.recv()
        started = time.perf_counter()
        await asyncio.to_thread(sim.call, _burst)
        received = 0
        while received < 2 * ORDERS:
            message = json.loads(await ws.recv())
            received += len(message.get("data", []))
        return received, time.perf_counter() - started


def main() -> None:
    with running_sim(instruments=(INST,)) as sim:
        received, elapsed = asyncio.run(_measure(sim))
    print(f"orders channel: {received:,} pushes in {elapsed:.2f} s = {received / elapsed:,.0f} messages/s "
          "(including the engine work that produced them)")
