"""Market-data files the simulator replays.

OHLCV: the CSV.gz (`ts_ms,date,open,high,low,close,volume`) and Feather (`date,open,…,volume`)
files of shared/data, and OKX candle JSON (`{"data": [[ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm],…]}`,
any order, optional top-level `instId`). Volume is base currency (OKX `volCcy`). Funding: the
`ts_ms,date,funding_rate` CSV.gz or the Feather file with the rate in `open`. The instrument is read
from the file name (`okx_BTC-USDT-SWAP_…`) or given as `INST=PATH`; default BTC-USDT-SWAP.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trading_bot.exchange.sim.series import Bars

INST_IN_NAME = re.compile(r"([A-Z0-9]{2,15}-USDT-SWAP)")
DEFAULT_INST = "BTC-USDT-SWAP"


class DataFileError(ValueError):
    """A data file cannot be used; the message names the file and the reason."""


@dataclass
class CandleFile:
    inst_id: str
    bars: Bars
    path: Path


@dataclass
class FundingFile:
    inst_id: str
    times: np.ndarray  # settlement times, ms
    rates: np.ndarray  # float rates per 8 h
    path: Path


def split_spec(spec: str | Path) -> tuple[str | None, Path]:
    """`INST=PATH` or `PATH` → (instrument or None, path)."""
    text = str(spec)
    if "=" in text and INST_IN_NAME.fullmatch(text.split("=", 1)[0]):
        inst, path = text.split("=", 1)
        return inst, Path(path)
    return None, Path(text)


def load(spec: str | Path) -> CandleFile | FundingFile:
    inst, path = split_spec(spec)
    if not path.is_file():
        raise DataFileError(f"{path}: no such file")
    match = INST_IN_NAME.search(path.name)
    inst = inst or (match.group(1) if match else None)
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text())
            inst = inst or (data.get("instId") if isinstance(data, dict) else None) or DEFAULT_INST
            return CandleFile(inst, _bars_from_okx_json(data), path)
        frame = pd.read_feather(path) if path.suffix == ".feather" else pd.read_csv(path)
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(f"{path}: unreadable ({type(exc).__name__}: {exc})") from None
    inst = inst or DEFAULT_INST
    if "funding_rate" in frame.columns or "funding" in path.name:
        return _funding_from_frame(inst, frame, path)
    return CandleFile(inst, _bars_from_frame(frame, path), path)


def _times_ms(frame: pd.DataFrame) -> np.ndarray:
    if "ts_ms" in frame.columns:
        return frame["ts_ms"].to_numpy(np.int64)
    dates = pd.to_datetime(frame["date"], utc=True).astype("datetime64[ms, UTC]")
    return dates.astype("int64").to_numpy(np.int64)


def _bar_length(ts: np.ndarray, path: Path) -> int:
    if len(ts) < 2:
        raise DataFileError(f"{path}: needs at least two bars to know the bar length")
    diffs = np.diff(ts)
    if (diffs <= 0).any():
        raise DataFileError(f"{path}: bar times are not strictly increasing")
    return int(diffs.min())


def _bars_from_frame(frame: pd.DataFrame, path: Path) -> Bars:
    missing = {"open", "high", "low", "close", "volume"} - set(frame.columns)
    if missing:
        raise DataFileError(f"{path}: missing columns {', '.join(sorted(missing))}")
    ts = _times_ms(frame)
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    col = lambda name: frame[name].to_numpy(np.float64)[order]  # noqa: E731
    return _checked(Bars.from_columns(ts, _bar_length(ts, path), col("open"), col("high"), col("low"),
                                      col("close"), col("volume")), path)


def _bars_from_okx_json(data: object) -> Bars:
    rows = data.get("data") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise ValueError("expected a list of OKX candle rows under 'data'")
    table = np.array([[float(x) for x in row[:7]] for row in rows])
    table = table[np.argsort(table[:, 0], kind="stable")]
    ts = table[:, 0].astype(np.int64)
    return _checked(Bars.from_columns(ts, _bar_length(ts, Path("json")), table[:, 1], table[:, 2],
                                      table[:, 3], table[:, 4], table[:, 6]), Path("json"))


def _checked(bars: Bars, path: Path) -> Bars:
    bad = (bars.l > np.minimum(bars.o, bars.c)) | (bars.h < np.maximum(bars.o, bars.c)) | (bars.l <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataFileError(f"{path}: bar {first} (ts {int(bars.ts[first])}) violates low ≤ open/close ≤ high")
    return bars


def _funding_from_frame(inst: str, frame: pd.DataFrame, path: Path) -> FundingFile:
    column = "funding_rate" if "funding_rate" in frame.columns else "open"
    ts = _times_ms(frame)
    order = np.argsort(ts, kind="stable")
    return FundingFile(inst, ts[order], frame[column].to_numpy(np.float64)[order], path)
