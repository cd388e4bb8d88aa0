"""Funding rates and the 8-hour settlement schedule (00:00, 08:00, 16:00 UTC).

A rate comes from the real funding file when it covers the settlement; otherwise it is generated
from the market itself, as a premium that follows the trend: 0.01 % plus 1 % of the return over the
8 hours *before* the funding period began (known when the period starts: no look-ahead), clipped
to ±0.375 % like BTC-USDT-SWAP's limits.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trading_bot.exchange.sim.files import FundingFile

INTERVAL_MS = 8 * 3_600_000
BASE_RATE = 0.0001
TREND_WEIGHT = 0.01
MAX_RATE = 0.00375


def next_settlement(after_ms: int) -> int:
    """The first settlement time strictly after `after_ms`."""
    return (after_ms // INTERVAL_MS + 1) * INTERVAL_MS


def settlements_between(start_ms: int, end_ms: int) -> list[int]:
    """Settlement times t with start_ms < t <= end_ms."""
    first = next_settlement(start_ms)
    return list(range(first, end_ms + 1, INTERVAL_MS)) if first <= end_ms else []


class FundingSchedule:
    def __init__(self, inst_id: str, close_at: Callable[[int], float | None], real: FundingFile | None = None):
        self.inst_id = inst_id
        self._close_at = close_at
        self._real: dict[int, float] = {}
        if real is not None:
            self._real = {int(t): float(r) for t, r in zip(real.times, real.rates, strict=True)}

    def rate_for(self, settle_ms: int) -> float:
        """The rate settled at `settle_ms` (the 'current period' rate shown before it)."""
        if settle_ms in self._real:
            return self._real[settle_ms]
        begin = self._close_at(settle_ms - 2 * INTERVAL_MS)
        end = self._close_at(settle_ms - INTERVAL_MS)
        if not begin or not end:
            return BASE_RATE
        rate = BASE_RATE + TREND_WEIGHT * (end / begin - 1.0)
        return float(np.clip(round(rate, 10), -MAX_RATE, MAX_RATE))

    def history(self, before_ms: int, limit: int) -> list[tuple[int, float]]:
        """Settled (time, rate) pairs at or before `before_ms`, newest first."""
        last = before_ms // INTERVAL_MS * INTERVAL_MS
        return [(t, self.rate_for(t)) for t in range(last, last - limit * INTERVAL_MS, -INTERVAL_MS)]
