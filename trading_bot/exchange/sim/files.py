"""Market-data files the simulator replays.

OHLCV: the CSV.gz (`ts_ms,date,open,high,low,close,volume`) and Feather (`date,open,…,volume`)
files of shared/data, and OKX candle JSON (`{"data": [[ts,o,h,l,c,vol,volCcy,volCcyQuote,confirm],…]}`,
any order, optional top-level `instId`). Volume is base currency (OKX `volCcy`). Funding: the
`ts_ms,date,funding_rate` CSV.gz or the Feather file with the rate in `open`. The instrument is read
from the file name (`okx_BTC-USDT-SWAP_…`) or given as `INST=PATH`; default BTC-USDT-SWAP.

A candle file is refused whole when a row is not numbers, breaks the candle rule (domain/ohlc.py:
prices finite and > 0, low ≤ open, close ≤ high, volume ≥ 0) or repeats a bar time; the message
names the file and the data row (1-based, in the file's order; a CSV's header is not one).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from trading_bot.clock import from_ms
from trading_bot.domain.ohlc import first_bad_bar, float_bar_problem
from trading_bot.exchange.sim.series import Array, Bars

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
    times: Array  # settlement times, ms
    rates: Array  # float rates per 8 h
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
            return CandleFile(inst, _bars_from_okx_json(data, path), path)
        frame = pd.read_feather(path) if path.suffix == ".feather" else pd.read_csv(path)
    except DataFileError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise DataFileError(f"{path}: unreadable ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})") from None
    inst = inst or DEFAULT_INST
    if "funding_rate" in frame.columns or "funding" in path.name:
        return _funding_from_frame(inst, frame, path)
    return CandleFile(inst, _bars_from_frame(frame, path), path)


def _times_ms(frame: pd.DataFrame, path: Path) -> Array:
    if "ts_ms" in frame.columns:
        return _numbers(frame, "ts_ms", path).astype(np.int64)
    dates = pd.to_datetime(frame["date"], utc=True, errors="coerce")
    if bool(dates.isna().any()):
        row = int(np.argmax(dates.isna().to_numpy()))
        raise DataFileError(f"{path}: data row {row + 1}: date {frame['date'].iloc[row]!r} is not a time")
    return dates.astype("datetime64[ms, UTC]").astype("int64").to_numpy(np.int64)


def _numbers(frame: pd.DataFrame, name: str, path: Path) -> Array:
    values = pd.to_numeric(frame[name], errors="coerce")
    text = (values.isna() & frame[name].notna()).to_numpy()
    if bool(text.any()):
        row = int(np.argmax(text))
        raise DataFileError(f"{path}: data row {row + 1}: {name} {frame[name].iloc[row]!r} is not a number")
    return values.to_numpy(np.float64)


def _bar_length(ts: Array, path: Path) -> int:
    if len(ts) < 2:
        raise DataFileError(f"{path}: needs at least two bars to know the bar length")
    return int(np.diff(ts).min())


def _bars_from_frame(frame: pd.DataFrame, path: Path) -> Bars:
    missing = {"open", "high", "low", "close", "volume"} - set(frame.columns)
    if missing:
        raise DataFileError(f"{path}: missing columns {', '.join(sorted(missing))}")
    columns = (_numbers(frame, c, path) for c in ("open", "high", "low", "close", "volume"))
    return _checked(path, _times_ms(frame, path), *columns)


def _bars_from_okx_json(data: object, path: Path) -> Bars:
    rows = data.get("data") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise DataFileError(f"{path}: expected a list of OKX candle rows under 'data'")
    frame = pd.DataFrame([row[:7] if isinstance(row, list) else [row] for row in rows])
    table = frame.apply(pd.to_numeric, errors="coerce").reindex(columns=range(7)).to_numpy(np.float64)
    unreadable = np.isnan(table).any(axis=1)
    if bool(unreadable.any()):
        row = int(np.argmax(unreadable))
        raise DataFileError(f"{path}: data row {row + 1}: expected numbers [ts, o, h, l, c, vol, volCcy, …], "
                            f"got {json.dumps(rows[row])[:120]}")
    return _checked(path, table[:, 0].astype(np.int64), table[:, 1], table[:, 2], table[:, 3], table[:, 4],
                    table[:, 6])


def _checked(path: Path, ts: Array, o: Array, h: Array, low: Array, c: Array,
             v: Array) -> Bars:
    """Bars from columns in the file's order: every row obeys the candle rule (domain/ohlc.py), no two
    share a bar time; then sorted. Rows are data rows, 1-based (a CSV's header is not one)."""
    bad = first_bad_bar(o, h, low, c, v)
    if bad is not None:
        problem = float_bar_problem(o[bad], h[bad], low[bad], c[bad], volume=v[bad])
        raise DataFileError(f"{path}: data row {bad + 1} (bar {_time(ts[bad])}): {problem}")
    order = np.argsort(ts, kind="stable")
    ts = ts[order]
    same = np.flatnonzero(np.diff(ts) == 0)
    if len(same):
        first, second = (int(order[k]) + 1 for k in (same[0], same[0] + 1))
        raise DataFileError(f"{path}: data rows {first} and {second} have the same bar time {_time(ts[same[0]])}")
    return Bars.from_columns(ts, _bar_length(ts, path), o[order], h[order], low[order], c[order], v[order])


def _time(ms: np.int64) -> str:
    return f"{from_ms(int(ms)):%Y-%m-%d %H:%M}Z"


def _funding_from_frame(inst: str, frame: pd.DataFrame, path: Path) -> FundingFile:
    column = "funding_rate" if "funding_rate" in frame.columns else "open"
    ts = _times_ms(frame, path)
    order = np.argsort(ts, kind="stable")
    return FundingFile(inst, ts[order], frame[column].to_numpy(np.float64)[order], path)
