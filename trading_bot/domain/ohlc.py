"""The rule every candle obeys, wherever it comes from (files, OKX REST and WebSocket, the simulator's
data): open, high, low and close are finite and > 0, high ≥ open, close and low, low ≤ open and close,
volumes are finite and ≥ 0 (a bar without trades has volume 0).

`bar_problem` checks one bar of Decimals (the `Candle` model's validator); `first_bad_bar` checks
whole float columns in one numpy pass, for the paths that never build a `Candle` (CandleFrame, the
simulator's bars, whole files), and its callers describe the bar it finds with `bar_problem`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    FloatArray = NDArray[np.floating[Any]]


def bar_problem(open_: Decimal, high: Decimal, low: Decimal, close: Decimal, **volumes: Decimal) -> str | None:
    """What is wrong with one bar, or None when it obeys the rule."""
    if (open_.is_finite() and high.is_finite() and low.is_finite() and close.is_finite()
            and 0 < low <= open_ <= high and low <= close <= high
            and all(value.is_finite() and value >= 0 for value in volumes.values())):
        return None  # the usual case, in one expression (a candle is checked on every construction)
    prices = {"open": open_, "high": high, "low": low, "close": close}
    for name, value in prices.items():
        if not value.is_finite():
            return f"{name} {value} is not a finite number"
        if value <= 0:
            return f"{name} {value} is not above 0"
    if high < low:
        return f"high {high} is below low {low}"
    for name in ("open", "close"):
        if high < prices[name]:
            return f"high {high} is below {name} {prices[name]}"
        if low > prices[name]:
            return f"low {low} is above {name} {prices[name]}"
    for name, value in volumes.items():
        if not value.is_finite():
            return f"{name} {value} is not a finite number"
        if value < 0:
            return f"{name} {value} is negative"
    return None


def first_bad_bar(open_: FloatArray, high: FloatArray, low: FloatArray, close: FloatArray,
                  *volumes: FloatArray) -> int | None:
    """Index of the first bar breaking the rule (NaN counts as not finite), or None."""
    import numpy as np  # here: `Candle` checks its bars with `bar_problem` in processes that never load numpy

    with np.errstate(invalid="ignore"):
        good = (np.isfinite(open_) & np.isfinite(high) & np.isfinite(low) & np.isfinite(close) & (low > 0)
                & (high >= np.maximum(open_, close)) & (low <= np.minimum(open_, close)))
        for volume in volumes:
            good &= np.isfinite(volume) & (volume >= 0)
    if bool(good.all()):
        return None
    return int(np.argmin(good))


def float_bar_problem(open_: float, high: float, low: float, close: float, **volumes: float) -> str:
    """`bar_problem` of a bar of floats (as `first_bad_bar` found it), in their shortest decimal form."""
    def as_decimal(value: float) -> Decimal:
        return Decimal(repr(float(value)))

    return bar_problem(as_decimal(open_), as_decimal(high), as_decimal(low), as_decimal(close),
                       **{name: as_decimal(value) for name, value in volumes.items()}) or "breaks the candle rule"
