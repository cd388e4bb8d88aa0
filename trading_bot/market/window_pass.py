"""The per-window work of a frame: TA-Lib values and volume profiles of each requested bar's window.

It is the only part of a backtest's preparation that grows with bars × window, so it can be split
over worker processes (`workers`, opt-in: a backtest on an otherwise idle machine; never inside a
Celery worker, whose processes may not have children). Every bar's values are computed by the same
code either way, so the result does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trading_bot.market import ta_engine
from trading_bot.market.frame import CandleFrame
from trading_bot.market.volume_profile import PROFILE_SHORT, Profiles, profiles

TA_COLUMNS = (*ta_engine.OUTPUTS, *ta_engine.EXTRAS)
MIN_BARS_PER_WORKER = 20_000  # below this, starting processes (~1 s) costs more than it saves


@dataclass(frozen=True, slots=True)
class WindowValues:
    ta: NDArray[Any]  # bars × TA_COLUMNS, NaN for bars not requested
    profile: Profiles  # per bar of the frame (status PROFILE_SHORT for bars not requested)


def window_pass(frame: CandleFrame, starts: NDArray[Any], wanted: NDArray[Any], lookback: int,
                workers: int = 1) -> WindowValues:
    n = len(frame)
    ta = np.full((n, len(TA_COLUMNS)), np.nan)
    poc, high, low = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    status = np.full(n, PROFILE_SHORT, dtype=np.int8)
    parts = min(workers, len(wanted) // MIN_BARS_PER_WORKER)
    if parts > 1:
        # spawn, not fork: the parent may run threads (a fork could inherit a held lock)
        with multiprocessing.get_context("spawn").Pool(parts, _adopt, (frame, starts, lookback)) as pool:
            results = pool.map(_chunk, np.array_split(wanted, parts * 4))
    else:
        _adopt(frame, starts, lookback)
        results = [_chunk(wanted)]
        _job.clear()
    for bars, rows, found in results:
        if len(bars):
            ta[bars] = rows
            poc[bars], high[bars], low[bars] = found.poc, found.value_area_high, found.value_area_low
            status[bars] = found.status
    return WindowValues(ta, Profiles(poc, high, low, status))


@dataclass(frozen=True, slots=True)
class _Job:
    frame: CandleFrame
    starts: NDArray[Any]
    lookback: int
    typical: NDArray[np.float64]


_job: dict[str, _Job] = {}  # "job": the frame a (worker) process works on, set by _adopt


def _adopt(frame: CandleFrame, starts: NDArray[Any], lookback: int) -> None:
    _job["job"] = _Job(frame=frame, starts=starts, lookback=lookback,
                       typical=(frame.high + frame.low + frame.close) / 3.0)


def _chunk(bars: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any], Profiles]:
    job = _job["job"]
    frame, starts = job.frame, job.starts
    high, low, close, volume = frame.high, frame.low, frame.close, frame.volume
    window_values = ta_engine.window_values
    rows = [window_values(high[s:i + 1], low[s:i + 1], close[s:i + 1], volume[s:i + 1])
            for s, i in zip(starts[bars].tolist(), bars.tolist(), strict=True)]
    found = profiles(high, low, job.typical, volume, starts, bars, job.lookback)
    return bars, np.array(rows, dtype=float).reshape(len(bars), len(TA_COLUMNS)), found
