"""A seeded synthetic market: realistic 1-minute bars for several instruments at once.

Market-wide regimes (range, bull trend, bear trend, storm) switch as a Markov chain; volatility
clusters (log-volatility follows an AR(1) process around the regime's level); instruments move
together through a common factor (correlation `CORRELATION` with it) plus their own noise. Each
minute is built from six 10-second steps so highs and lows are path extremes, not decoration.
Generation is sequential from one seeded generator, day by day, so the same seed gives the same
market however far it is extended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.series import Array, Bars

MINUTE_MS = 60_000
DAY_MINUTES = 1440
STEPS = 6  # sub-steps per minute
HISTORY_DAYS = 40  # served before the start: enough for 200 bars of 4H
BASE_VOL = 0.0006  # per-minute volatility of BTC in a calm market (≈ 2.3 % a day)
# regime: (drift per minute, volatility multiplier, mean length in minutes)
REGIMES = ((0.0, 0.7, 720), (0.00001, 1.0, 1440), (-0.00001, 1.0, 1440), (0.0, 2.2, 240))
CORRELATION = {"BTC-USDT-SWAP": 0.95, "ETH-USDT-SWAP": 0.85, "SOL-USDT-SWAP": 0.75}
VOL_SCALE = {"BTC-USDT-SWAP": 1.0, "ETH-USDT-SWAP": 1.3, "SOL-USDT-SWAP": 1.8}
BASE_VOLUME = {"BTC-USDT-SWAP": 40.0, "ETH-USDT-SWAP": 600.0, "SOL-USDT-SWAP": 9000.0}  # base ccy / minute


@dataclass
class SyntheticMarket:
    seed: int
    instruments: list[SimInstrument]
    origin_ms: int  # first generated minute
    bars: dict[str, Bars] = field(default_factory=dict)
    _rng: np.random.Generator = field(init=False)
    _regime: int = 0
    _log_vol: float = 0.0
    _last: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.origin_ms = self.origin_ms // MINUTE_MS * MINUTE_MS
        self._rng = np.random.default_rng(self.seed)
        self._last = {i.inst_id: i.start_price for i in self.instruments}
        self.bars = {i.inst_id: Bars.empty() for i in self.instruments}

    @classmethod
    def starting_at(cls, seed: int, instruments: list[SimInstrument], start_ms: int) -> SyntheticMarket:
        market = cls(seed, instruments, start_ms - HISTORY_DAYS * DAY_MINUTES * MINUTE_MS)
        market.extend_to(start_ms + DAY_MINUTES * MINUTE_MS)
        return market

    @property
    def end_ms(self) -> int:
        first = self.bars[self.instruments[0].inst_id]
        return first.end_ms if len(first) else self.origin_ms

    def extend_to(self, until_ms: int) -> bool:
        """Generate whole days until `until_ms` is covered; True if anything was added."""
        added = False
        while self.end_ms < until_ms:
            self._generate_day()
            added = True
        return added

    def shift_level(self, inst_id: str, factor: float) -> None:
        """Days generated from now on continue from the shifted price (SimMarket.shock)."""
        self._last[inst_id] *= factor

    def _generate_day(self) -> None:
        n = DAY_MINUTES
        drift, sigma = self._regime_path(n)
        common = self._rng.standard_normal((n, STEPS))
        start = self.end_ms
        ts = start + np.arange(n, dtype=np.int64) * MINUTE_MS
        for inst in self.instruments:
            day = self._instrument_day(inst, ts, drift, sigma, common)
            self.bars[inst.inst_id] = self.bars[inst.inst_id].concat(day)

    def _regime_path(self, n: int) -> tuple[Array, Array]:
        """Per-minute drift and volatility: Markov regimes with AR(1) log-volatility clustering."""
        leave = self._rng.random(n)
        picks = self._rng.integers(1, len(REGIMES), n)
        shocks = self._rng.standard_normal(n) * 0.03
        drift, sigma = np.empty(n), np.empty(n)
        for t in range(n):
            mu, vol_mult, mean_len = REGIMES[self._regime]
            if leave[t] < 1.0 / mean_len:
                self._regime = (self._regime + int(picks[t])) % len(REGIMES)
            self._log_vol = 0.996 * self._log_vol + shocks[t]
            drift[t] = mu
            sigma[t] = BASE_VOL * vol_mult * np.exp(self._log_vol)
        return drift, sigma

    def _instrument_day(self, inst: SimInstrument, ts: Array, drift: Array, sigma: Array,
                        common: Array) -> Bars:
        rho = CORRELATION.get(inst.inst_id, 0.7)
        scale = VOL_SCALE.get(inst.inst_id, 1.5)
        own = self._rng.standard_normal(common.shape)
        z = rho * common + np.sqrt(1 - rho * rho) * own
        steps = drift[:, None] / STEPS + (sigma * scale)[:, None] / np.sqrt(STEPS) * z
        path = self._last[inst.inst_id] * np.exp(np.cumsum(steps.reshape(-1))).reshape(steps.shape)
        tick = inst.tick
        path = np.maximum(np.round(path / tick) * tick, tick)
        opens = np.r_[self._last[inst.inst_id], path[:-1, -1]]
        opens = np.round(opens / tick) * tick
        highs = np.maximum(opens, path.max(axis=1))
        lows = np.minimum(opens, path.min(axis=1))
        closes = path[:, -1]
        self._last[inst.inst_id] = float(closes[-1])
        activity = np.abs(z).mean(axis=1) * sigma / BASE_VOL
        volume = BASE_VOLUME.get(inst.inst_id, 100.0) * activity * np.exp(0.4 * self._rng.standard_normal(len(ts)))
        volume = np.round(volume / float(inst.ct_val)) * float(inst.ct_val)  # whole contracts
        return Bars.from_columns(ts, MINUTE_MS, opens, highs, lows, closes, volume)
