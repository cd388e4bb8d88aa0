"""Pearson correlation of two instruments' 1H close-to-close returns over their most recent common
closed bars. Floats are fine here: this is a statistic, not money."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

Closes = Sequence[tuple[datetime, Decimal]]


class CorrelationUnavailable(ValueError):
    """Not enough common bars, or a series without any movement: r is undefined."""


def aligned_returns(a: Closes, b: Closes, returns: int) -> tuple[list[float], list[float]]:
    """The last `returns` returns of both series over the bar times they have in common."""
    closes_b = dict(b)
    common = sorted((ts, close, closes_b[ts]) for ts, close in a if ts in closes_b)
    if len(common) < returns + 1:
        raise CorrelationUnavailable(f"only {len(common)} common closed 1H bars, {returns + 1} needed")
    window = common[-(returns + 1):]
    ra = [float(cur[1] / prev[1]) - 1.0 for prev, cur in zip(window, window[1:], strict=False)]
    rb = [float(cur[2] / prev[2]) - 1.0 for prev, cur in zip(window, window[1:], strict=False)]
    return ra, rb


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    n = len(x)
    mean_x, mean_y = sum(x) / n, sum(y) / n
    dx = [v - mean_x for v in x]
    dy = [v - mean_y for v in y]
    sxx, syy = sum(v * v for v in dx), sum(v * v for v in dy)
    if sxx == 0 or syy == 0:
        raise CorrelationUnavailable("a series has no movement, so r is undefined")
    r = sum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
    if not math.isfinite(r):
        raise CorrelationUnavailable(f"r is not a number ({r})")
    return max(-1.0, min(1.0, r))


def returns_correlation(a: Closes, b: Closes, returns: int) -> float:
    return pearson(*aligned_returns(a, b, returns))
