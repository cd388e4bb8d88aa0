"""The seeded market: a deterministic 15m BTC-USDT-SWAP price path in regime blocks, plus the
1H and 4H bars aggregated from it exactly (as OKX's own higher timeframes are)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.domain.market import Candle

INSTRUMENT = "BTC-USDT-SWAP"
BAR = timedelta(minutes=15)
TICK = Decimal("0.1")
# regime → (drift per bar, volatility per bar) of log returns
REGIMES: dict[str, tuple[float, float]] = {
    "trending_up": (0.0006, 0.0025),
    "trending_down": (-0.0006, 0.0025),
    "ranging": (0.0, 0.0015),
    "volatile": (0.0, 0.0055),
}


@dataclass(frozen=True)
class Bar:
    index: int
    ts: datetime  # open time
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal  # contracts
    regime: str

    @property
    def close_ts(self) -> datetime:
        return self.ts + BAR


def _tick(value: float) -> Decimal:
    return (Decimal(repr(value)) / TICK).to_integral_value() * TICK


def _regime_blocks(rng: random.Random, bars: int) -> list[str]:
    """A regime label per bar, in blocks of 12 to 48 hours."""
    labels: list[str] = []
    names = sorted(REGIMES)
    while len(labels) < bars:
        labels.extend([rng.choice(names)] * rng.randint(48, 192))
    return labels[:bars]


def price_path(seed: int, start: datetime, bars: int, first_price: float = 94000.0) -> list[Bar]:
    """The same seed and start give the same bars; a shorter path is a prefix of a longer one."""
    regimes = _regime_blocks(random.Random(f"regimes:{seed}"), bars)
    rng = random.Random(f"prices:{seed}")
    path: list[Bar] = []
    close = first_price
    for index in range(bars):
        drift, vol = REGIMES[regimes[index]]
        open_ = close
        close = open_ * math.exp(rng.gauss(drift, vol))
        high = max(open_, close) * (1 + abs(rng.gauss(0, vol / 2)))
        low = min(open_, close) * (1 - abs(rng.gauss(0, vol / 2)))
        volume = Decimal(rng.randint(20_000, 160_000)) / 100
        path.append(Bar(index, start + index * BAR, _tick(open_), _tick(high), _tick(low), _tick(close), volume,
                        regimes[index]))
        close = float(path[-1].close)
    return path


def _candle(timeframe: str, bars: list[Bar], confirmed: bool) -> Candle:
    volume = sum((b.volume for b in bars), Decimal(0))
    close = bars[-1].close
    return Candle(inst_id=INSTRUMENT, timeframe=timeframe, ts=bars[0].ts, open=bars[0].open,
                  high=max(b.high for b in bars), low=min(b.low for b in bars), close=close, volume=volume,
                  volume_ccy=volume / 100, volume_quote=(volume / 100 * close).quantize(Decimal("0.01")),
                  confirmed=confirmed)


def candles(path: list[Bar]) -> list[Candle]:
    """15m, 1H and 4H candles; higher timeframes only for complete groups of 15m bars."""
    out = [_candle("15m", [bar], True) for bar in path]
    for timeframe, group in (("1H", 4), ("4H", 16)):
        for first in range(0, len(path) - group + 1, group):
            out.append(_candle(timeframe, path[first:first + group], True))
    return out
