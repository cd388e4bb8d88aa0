"""The venue: the engine, the market data and market time, moved forward together.

`advance_to(t)` walks every instrument's tick path up to `t` in time order, handing the engine
only the ticks that can change something (those at or beyond its `lo`/`hi` bounds); funding is
settled at each 00/08/16 UTC crossing; finally every instrument's price is set to its interpolated
value at `t`. The same object backs the HTTP server (driven by a wall clock at `speed`) and the
in-process exchange of backtests (driven by the backtest's clock).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from decimal import Decimal

import numpy as np

from trading_bot.exchange.sim import funding
from trading_bot.exchange.sim.engine import Engine, EngineConfig
from trading_bot.exchange.sim.instruments import INSTRUMENTS
from trading_bot.exchange.sim.market import InstrumentData, SimMarket

VECTOR_SCAN_MIN = 256  # longer tick runs are scanned with numpy, shorter ones in a plain loop


class Venue:
    def __init__(self, market: SimMarket, engine: Engine, start_ms: int) -> None:
        self.market = market
        self.engine = engine
        self.now_ms = start_ms
        self.start_ms = start_ms
        self.market.ensure(start_ms)
        self._cursor: dict[str, int] = {}
        for inst_id, data in market.data.items():
            self._cursor[inst_id] = data.tick_index(start_ms)
            engine.quotes.last[inst_id] = data.price_at(start_ms)
        engine.quotes.now_ms = engine.account.u_time = start_ms
        engine.recompute_all()
        self.next_funding_ms = funding.next_settlement(start_ms)

    @classmethod
    def create(cls, market: SimMarket, equity: Decimal, start_ms: int | None = None,
               config: EngineConfig | None = None) -> Venue:
        start = market.default_start() if start_ms is None else start_ms
        instruments = {i: INSTRUMENTS[i] for i in market.data}
        return cls(market, Engine(instruments, equity, config, start), start)

    @property
    def data_end_ms(self) -> int:
        return self.market.end_ms

    def price(self, inst_id: str) -> float:
        return self.engine.quotes.last[inst_id]

    def data(self, inst_id: str) -> InstrumentData:
        return self.market.data[inst_id]

    def advance_to(self, target_ms: int) -> None:
        if target_ms <= self.now_ms:
            return
        self.market.ensure(target_ms)
        while self.next_funding_ms <= target_ms:
            settle = self.next_funding_ms
            self._run_ticks(settle)
            self._set_prices(settle)
            for inst_id, data in self.market.data.items():
                self.engine.settle_funding(inst_id, Decimal(repr(data.funding.rate_for(settle))))
            self.next_funding_ms += funding.INTERVAL_MS
        self._run_ticks(target_ms)
        self._set_prices(target_ms)
        self.now_ms = target_ms
        self._recheck_cross()

    def _recheck_cross(self) -> None:
        """Cross liquidation bounds assume the other instruments' prices stay put; when cross positions
        span several instruments, refresh the bounds and check once the new prices are all in."""
        engine = self.engine
        if len({p.inst_id for p in engine.positions.by_key.values() if p.mgn_mode == "cross"}) > 1:
            engine.recompute_all()
            for inst_id in self.market.data:
                engine.check(inst_id)

    def _set_prices(self, at_ms: int) -> None:
        for inst_id, data in self.market.data.items():
            self.engine.on_price(inst_id, data.price_at(at_ms), at_ms)
        self.engine.quotes.now_ms = at_ms

    def _run_ticks(self, until_ms: int) -> None:
        """Hand the engine, in time order, every tick at or before `until_ms` that reaches a bound."""
        engine, items = self.engine, self.market.data.items()
        while True:
            best: tuple[int, str, int] | None = None
            for inst_id, data in items:
                k = _first_hit(data, self._cursor[inst_id] + 1, bisect_right(data.ts_list, until_ms),
                               engine.lo[inst_id], engine.hi[inst_id])
                if k >= 0 and (best is None or data.ts_list[k] < best[0]):
                    best = (data.ts_list[k], inst_id, k)
            stop = until_ms if best is None else best[0]
            for inst_id, data in items:  # everything up to the event (or the end) passed quietly
                j = bisect_right(data.ts_list, stop) - 1
                if best is not None and inst_id == best[1]:
                    j = best[2] - 1
                if j > self._cursor[inst_id]:
                    self._cursor[inst_id] = j
                    engine.set_last(inst_id, data.px_list[j], data.ts_list[j])
            if best is None:
                return
            ts, inst_id, k = best
            self._cursor[inst_id] = k
            engine.on_price(inst_id, self.market.data[inst_id].px_list[k], ts)


def _first_hit(data: InstrumentData, i: int, j: int, lo: float, hi: float) -> int:
    """Index of the first tick in [i, j) at or beyond lo/hi, or -1."""
    if j - i > VECTOR_SCAN_MIN:
        seg = data.tick_px[i:j]
        hits = np.flatnonzero((seg <= lo) | (seg >= hi))
        return i + int(hits[0]) if hits.size else -1
    prices = data.px_list
    for k in range(i, j):
        p = prices[k]
        if p <= lo or p >= hi:
            return k
    return -1


class MarketClock:
    """Market time driven by wall time at `speed` (0 = paused: only `advance` moves it)."""

    def __init__(self, start_ms: int, speed: float, wall: Callable[[], float] = time.monotonic) -> None:
        self._wall = wall
        self._speed = speed
        self._anchor_ms = start_ms
        self._anchor_wall = wall()

    @property
    def speed(self) -> float:
        return self._speed

    def now_ms(self) -> int:
        return self._anchor_ms + int((self._wall() - self._anchor_wall) * 1000 * self._speed)

    def set_speed(self, speed: float) -> None:
        self._anchor_ms, self._anchor_wall, self._speed = self.now_ms(), self._wall(), speed

    def advance(self, ms: int) -> None:
        self._anchor_ms += ms

    def jump_to(self, at_ms: int) -> None:
        self._anchor_ms, self._anchor_wall = at_ms, self._wall()
