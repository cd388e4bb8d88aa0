"""REST order round trips through the real python-okx client against the simulator on loopback:
place (limit far from the market) and cancel, and market orders, with p50/p99 latencies."""

from __future__ import annotations

import statistics
import time

from okx.Trade import TradeAPI

from tests.kit.sim import running_sim

N = 400
INST = "BTC-USDT-SWAP"


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {p(0.50):.2f} ms  p99 {p(0.99):.2f} ms  mean {statistics.mean(samples) * 1000:.2f} ms"


def main() -> None:
    with running_sim(instruments=(INST,)) as sim:
        trade = sim.okx(TradeAPI)
        place, cancel, market = [], [], []
        for i in range(N):
            started = time.perf_counter()
            answer = trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="limit", sz="1",
                                       px="60000", clOrdId=f"b{i}")
            place.append(time.perf_counter() - started)
            assert answer["code"] == "0", answer
            started = time.perf_counter()
            assert trade.cancel_order(instId=INST, clOrdId=f"b{i}")["code"] == "0"
            cancel.append(time.perf_counter() - started)
        for i in range(N // 2):
            started = time.perf_counter()
            answer = trade.place_order(instId=INST, tdMode="cross", side="buy" if i % 2 == 0 else "sell",
                                       ordType="market", sz="1")
            market.append(time.perf_counter() - started)
            assert answer["code"] == "0", answer
        trade.close()
    print(f"place limit order   ({N}): {_percentiles(place)}")
    print(f"cancel order        ({N}): {_percentiles(cancel)}")
    print(f"market order fill   ({N // 2}): {_percentiles(market)}")
