"""Volume profile of bars' windows: volume per price row, point of control and the 70 % value area.

A window's price range (lowest low to highest high) is cut into ROWS equal rows; each bar puts its
whole volume in the row of its typical price (high + low + close) / 3 (a price on a boundary goes to
the row above it, the highest price to the top row). The point of control (POC) is the middle of the
row with the most volume (the lowest such row on a tie). The value area grows from the POC row one
row at a time towards the neighbour with more volume (upwards on a tie) until it holds
VALUE_AREA_SHARE of the window's volume; its high and low are the outer edges of its rows.

Computed for many windows at once (a backtest asks for every bar); the live path asks for one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.market.rolling import WindowExtremes

ROWS = 24
VALUE_AREA_SHARE = 0.70
MIN_BARS = 20
CHUNK_BARS = 4_000_000  # bar-window memberships per chunk (bounded memory on long histories)

PROFILE_OK, PROFILE_SHORT, PROFILE_FLAT, PROFILE_NO_VOLUME = 0, 1, 2, 3
PROFILE_REASONS = {PROFILE_FLAT: "no price range in the window", PROFILE_NO_VOLUME: "no volume in the window"}


@dataclass(frozen=True, slots=True)
class Profiles:
    """Per requested bar: POC, value-area high and low (NaN unless status is PROFILE_OK)."""

    poc: NDArray[Any]
    value_area_high: NDArray[Any]
    value_area_low: NDArray[Any]
    status: NDArray[Any]


def profiles(high: NDArray[Any], low: NDArray[Any], typical: NDArray[Any], volume: NDArray[Any], starts: NDArray[Any],
             indices: NDArray[Any], longest: int, rows: int = ROWS, min_bars: int = MIN_BARS) -> Profiles:
    """Profiles of the windows [starts[i], i] of the bars `indices`."""
    ends = np.asarray(indices, dtype=np.int64)
    firsts = starts[ends]
    top = WindowExtremes(high, longest, np.maximum).query(firsts, ends) if len(ends) else np.empty(0)
    bottom = WindowExtremes(low, longest, np.minimum).query(firsts, ends) if len(ends) else np.empty(0)
    histogram = _histograms(typical, volume, firsts, ends, bottom, top, rows)
    total = histogram.sum(axis=1)
    status = np.full(len(ends), PROFILE_OK, dtype=np.int8)
    status[total <= 0] = PROFILE_NO_VOLUME
    status[top <= bottom] = PROFILE_FLAT
    status[ends - firsts + 1 < min_bars] = PROFILE_SHORT
    poc, lo, hi = _value_areas(histogram, total)
    height = (top - bottom) / rows
    ok = status == PROFILE_OK
    return Profiles(
        poc=np.where(ok, bottom + (poc + 0.5) * height, np.nan),
        value_area_high=np.where(ok, bottom + (hi + 1) * height, np.nan),
        value_area_low=np.where(ok, bottom + lo * height, np.nan),
        status=status,
    )


def _histograms(typical: NDArray[Any], volume: NDArray[Any], firsts: NDArray[Any], ends: NDArray[Any],
                bottom: NDArray[Any], top: NDArray[Any], rows: int) -> NDArray[Any]:
    out = np.zeros((len(ends), rows))
    lengths = ends - firsts + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(top > bottom, rows / (top - bottom), 0.0)
    done = 0
    while done < len(ends):
        stop = done + max(1, int(np.searchsorted(np.cumsum(lengths[done:]), CHUNK_BARS)))
        out[done:stop] = _chunk(typical, volume, firsts[done:stop], lengths[done:stop], bottom[done:stop],
                                scale[done:stop], rows)
        done = stop
    return out


def _chunk(typical: NDArray[Any], volume: NDArray[Any], firsts: NDArray[Any], lengths: NDArray[Any],
           bottom: NDArray[Any], scale: NDArray[Any], rows: int) -> NDArray[Any]:
    window = np.repeat(np.arange(len(firsts)), lengths)
    offsets = np.arange(len(window)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    bar = np.repeat(firsts, lengths) + offsets
    # Truncation towards zero also keeps a typical price a rounding error below `bottom` in row 0.
    row = ((typical[bar] - bottom[window]) * scale[window]).astype(np.int64)
    np.minimum(row, rows - 1, out=row)
    counts = np.bincount(window * rows + row, weights=volume[bar], minlength=len(firsts) * rows)
    return counts.reshape(len(firsts), rows)


def _value_areas(histogram: NDArray[Any], total: NDArray[Any],
                 share: float = VALUE_AREA_SHARE) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """(poc, lowest, highest) row of every window's POC and value area."""
    windows, rows = histogram.shape
    which = np.arange(windows)
    poc = np.argmax(histogram, axis=1) if rows else np.zeros(windows, dtype=np.int64)
    lo, hi = poc.copy(), poc.copy()
    held = histogram[which, poc]
    target = share * total
    padded = np.pad(histogram, ((0, 0), (1, 1)), constant_values=-1.0)  # −1 beyond either end
    for _ in range(rows - 1):
        active = held < target
        if not active.any():
            break
        up, down = padded[which, hi + 2], padded[which, lo]
        go_up = active & (up >= down)
        go_down = active & ~go_up
        hi += go_up
        lo -= go_down
        held = held + np.where(go_up, up, 0.0) + np.where(go_down, down, 0.0)
    return poc, lo, hi
