"""`Unavailable`: the typed "no value, and here is why" that indicator functions return instead of NaN."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Unavailable:
    reason: str


def needs_bars(needed: int, have: int, gap_before: datetime | None = None) -> Unavailable:
    bars = "bar" if needed == 1 else "bars"
    if gap_before is not None:
        gap = f"gap before {gap_before:%Y-%m-%d %H:%M}Z"
        return Unavailable(f"needs {needed} consecutive closed {bars}, has {have} ({gap})")
    return Unavailable(f"needs {needed} closed {bars}, has {have}")


def finite(value: float) -> float | None:
    """`value` as a Python float, or None when it is NaN or infinite."""
    value = float(value)
    return value if math.isfinite(value) else None
