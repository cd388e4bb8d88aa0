"""Confidence calibration: does the analyst's stated confidence match how often its trades win?

Trades are grouped by stated confidence in buckets of `width` (default 0.1: [0.5, 0.6) …; the
last bucket includes 1.0); per bucket the mean stated confidence is set against the realised win
rate (net PnL > 0, as in `trade_stats`). Trades without a confidence are left out. A perfectly
calibrated analyst has `stated == realised` in every bucket; `gap = realised − stated`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from trading_bot.backtest.inputs import ClosedTrade


@dataclass(frozen=True, slots=True)
class CalibrationBucket:
    low: float
    high: float
    trades: int
    stated: float  # mean stated confidence
    realised: float  # win rate

    @property
    def gap(self) -> float:
        return self.realised - self.stated

    @property
    def label(self) -> str:
        return f"{self.low:.1f}–{self.high:.1f}"


def calibration(trades: Sequence[ClosedTrade], width: float = 0.1) -> list[CalibrationBucket]:
    if not 0 < width <= 1:
        raise ValueError(f"bucket width must be in (0, 1], got {width}")
    count = round(1 / width)
    groups: dict[int, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        if trade.confidence is None:
            continue
        if not 0 <= trade.confidence <= 1:
            raise ValueError(f"trade {trade.trade_id}: confidence {trade.confidence} is outside 0..1")
        groups[min(math.floor(trade.confidence / width + 1e-9), count - 1)].append(trade)
    return [
        CalibrationBucket(
            low=index * width, high=(index + 1) * width, trades=len(members),
            stated=sum(t.confidence or 0.0 for t in members) / len(members),
            realised=sum(t.net_pnl > 0 for t in members) / len(members),
        )
        for index, members in sorted(groups.items())
    ]
