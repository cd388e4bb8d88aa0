"""Candle files: the Feather / CSV.gz OHLCV files of ../shared/data (freqtrade layout) and OKX
candle JSON (a `/market/candles` or `history-candles` response, or just its `data` rows).

Feather/CSV volume is in base currency (OKX `volCcy`); contracts are volume / ctVal, and the quote
volume, which those files lack, is approximated as volume × close. OKX JSON carries all three.
Prices keep their decimal text (CSV, JSON) or the shortest repr of the float (Feather), so what is
stored is exactly what the file says.

A file is refused whole, with one message naming it and the first bad row, when it cannot be read,
lacks a column, holds no bar, has two bars at the same time or a bar breaking the candle rule
(domain/ohlc.py). Rows are counted as *data rows*, 1-based, in the file's order (a CSV's header is
not one: data row n is line n + 1; for OKX JSON the n-th entry of `data`). Rows need not be sorted.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pyarrow import feather
from pydantic import ValidationError

from trading_bot.clock import from_ms
from trading_bot.domain.market import Candle, invalid_candle
from trading_bot.domain.ohlc import bar_problem, first_bad_bar
from trading_bot.market.frame import CandleFrame, timeframe_ms

# Contract values of OKX USDT swaps (ctVal of /public/instruments), for files that give base volume.
KNOWN_CT_VAL: dict[str, Decimal] = {"BTC-USDT-SWAP": Decimal("0.01"), "ETH-USDT-SWAP": Decimal("0.1")}
_R = TypeVar("_R")
OHLCV = ("open", "high", "low", "close", "volume")
OKX_COLUMNS = ("open", "high", "low", "close", "volume", "volume_ccy", "volume_quote", "confirm")
VOLUMES = {"base": ("volume",), "okx": ("volume", "volume_ccy", "volume_quote")}
UNREADABLE = (OSError, EOFError, ValueError, zlib.error)  # bad gzip, truncated, not Arrow, not CSV/JSON


class CandleFileError(ValueError):
    """The file is not a candle file this module can read; the message says what is wrong."""


@dataclass(frozen=True)
class CandleTable:
    """Rows of a candle file, oldest first, every one obeying the candle rule."""

    path: Path
    ts_ms: NDArray[Any]  # int64 bar open time
    rows: NDArray[Any]  # the data row (1-based, file order) each bar comes from
    columns: dict[str, NDArray[Any]]  # OHLCV (+ volume_ccy, volume_quote, confirm for OKX): decimal texts or floats
    volume_unit: str  # "base" (files of ../shared/data) or "okx" (contracts, base and quote given)

    def __len__(self) -> int:
        return len(self.ts_ms)

    def where(self, index: int) -> str:
        return f"{self.path}: data row {int(self.rows[index])}"


def read_table(path: Path, texts: bool = True) -> CandleTable:
    """The file's bars, checked and sorted. With `texts` False a CSV's numbers are parsed as floats
    (several times faster; enough for a CandleFrame) instead of kept as their decimal text."""
    name = path.name.lower()
    if not path.is_file():
        raise CandleFileError(f"{path}: no such file")
    if name.endswith(".feather"):
        table = _from_frame(_read(path, "Feather", _load_feather), path)
    elif name.endswith((".csv", ".csv.gz")):
        # "NaN" stays text, "" is empty
        read_csv: Callable[[Path], pd.DataFrame] = (lambda p: pd.read_csv(p, dtype=str, keep_default_na=False)) if texts \
            else pd.read_csv
        table = _from_frame(_read(path, "CSV", read_csv), path)
    elif name.endswith((".json", ".json.gz")):
        table = _from_okx_json(_read(path, "JSON", _load_json), path)
    else:
        raise CandleFileError(f"{path}: expected a .feather, .csv(.gz) or OKX .json candle file")
    if not len(table):
        raise CandleFileError(f"{path}: holds no candles")
    _check_bars(table)
    return _sorted(table)


def _read(path: Path, kind: str, reader: Callable[[Path], _R]) -> _R:
    try:
        return reader(path)
    except pd.errors.EmptyDataError:
        raise CandleFileError(f"{path}: the file is empty") from None
    except UNREADABLE as exc:
        gz = " (named .gz but not gzip)" if isinstance(exc, gzip.BadGzipFile) else ""
        reason = " ".join(str(exc).split())[:200]
        raise CandleFileError(f"{path}: not a readable {kind} file{gz}: {type(exc).__name__}: {reason}") from None


def _load_feather(path: Path) -> pd.DataFrame:
    # Arrow opens the path natively: pandas would hand it a Python file object, whose wrapper an Arrow
    # I/O thread may still release (taking the GIL) while the interpreter exits after a refused file,
    # which aborts the process (SIGABRT) instead of exiting 2.
    frame: pd.DataFrame = feather.read_table(str(path)).to_pandas()
    return frame


def _load_json(path: Path) -> object:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as zipped:
            return json.load(zipped)
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _from_frame(frame: pd.DataFrame, path: Path) -> CandleTable:
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise CandleFileError(f"{path}: missing column(s) {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    rows = np.arange(1, len(frame) + 1)
    if "ts_ms" in frame.columns:
        stamps = _milliseconds(path, rows, frame["ts_ms"], "ts_ms")
    elif "date" in frame.columns:
        dates = pd.to_datetime(frame["date"], utc=True, errors="coerce")
        _refuse(path, rows, dates.isna().to_numpy(), frame["date"], "date", "is not a time")
        stamps = epoch_ms(dates)
    else:
        raise CandleFileError(f"{path}: needs a `ts_ms` or `date` column with the bar open time")
    return CandleTable(path, stamps, rows, {c: frame[c].to_numpy() for c in OHLCV}, "base")


def _milliseconds(path: Path, rows: NDArray[Any], values: pd.Series, column: str) -> NDArray[Any]:
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(numbers) | (numbers % 1 != 0)
    _refuse(path, rows, bad, values, column, "is not a time in Unix milliseconds")
    return numbers.astype(np.int64)


def _refuse(path: Path, rows: NDArray[Any], bad: NDArray[Any], values: pd.Series, column: str, what: str) -> None:
    if bool(bad.any()):
        first = int(np.argmax(bad))
        raise CandleFileError(f"{path}: data row {int(rows[first])}: {column} {values.iloc[first]!r} {what}")


def epoch_ms(dates: pd.Series) -> NDArray[Any]:
    """Unix milliseconds of timestamps or ISO texts (whatever resolution pandas parsed them at)."""
    return pd.to_datetime(dates, utc=True).dt.as_unit("ms").astype("int64").to_numpy()


def _decimal_text(value: str | float) -> str:
    return value if isinstance(value, str) else repr(float(value))


def _from_okx_json(payload: object, path: Path) -> CandleTable:
    rows = payload.get("data") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and payload.get("code") not in (None, "0"):
        raise CandleFileError(f"{path}: OKX error response code {payload.get('code')}: {payload.get('msg')}")
    if not isinstance(rows, list):
        raise CandleFileError(f"{path}: expected OKX candle rows [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]")
    numbers = np.arange(1, len(rows) + 1)
    for number, row in zip(numbers, rows, strict=True):
        if not isinstance(row, list) or len(row) < 9:
            raise CandleFileError(f"{path}: data row {number}: expected [ts, o, h, l, c, vol, volCcy, volCcyQuote, "
                                  f"confirm], got {json.dumps(row)[:120]}")
    stamps = _milliseconds(path, numbers, pd.Series([row[0] for row in rows], dtype=object), "ts")
    columns = {name: np.array([str(row[i + 1]) for row in rows], dtype=object) for i, name in enumerate(OKX_COLUMNS)}
    return CandleTable(path, stamps, numbers, columns, "okx")


def _check_bars(table: CandleTable) -> None:
    """The candle rule over every row in one vectorised pass; the first bad row is described."""
    names = ("open", "high", "low", "close", *VOLUMES[table.volume_unit])
    bad = first_bad_bar(*(_floats(table.columns[name]) for name in names))
    if bad is None:
        return
    values: dict[str, Decimal] = {}
    for name in names:
        value = table.columns[name][bad]
        if isinstance(value, str) and not value.strip():  # a CSV's empty cell
            raise CandleFileError(f"{table.where(bad)}: {name} is empty")
        try:
            values[name] = Decimal(_decimal_text(value))
        except InvalidOperation:
            raise CandleFileError(f"{table.where(bad)}: {name} {value!r} is not a number") from None
    problem = bar_problem(*(values[name] for name in names[:4]), **{name: values[name] for name in names[4:]})
    raise CandleFileError(f"{table.where(bad)}: {problem or 'breaks the candle rule'}")


def _floats(values: NDArray[Any]) -> NDArray[Any]:
    if values.dtype.kind == "f":
        return values
    try:
        return values.astype(np.float64)  # float() of each text: exactly what Decimal → float gives
    except (ValueError, TypeError):
        return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(np.float64)  # NaN marks the non-numbers


def _sorted(table: CandleTable) -> CandleTable:
    order = np.argsort(table.ts_ms, kind="stable")
    stamps, rows = table.ts_ms[order], table.rows[order]
    same = np.flatnonzero(np.diff(stamps) == 0)
    if len(same):
        first = int(same[0])
        raise CandleFileError(f"{table.path}: data rows {int(rows[first])} and {int(rows[first + 1])} have the same "
                              f"bar time {from_ms(int(stamps[first])):%Y-%m-%d %H:%M}Z")
    columns = {name: values[order] for name, values in table.columns.items()}
    return CandleTable(table.path, stamps, rows, columns, table.volume_unit)


def candles(table: CandleTable, inst_id: str, timeframe: str, ct_val: Decimal | None,
            indices: Sequence[int] | None = None) -> Iterator[Candle]:
    """The table's rows (all, or those at `indices`) as closed (or, for OKX rows with confirm "0")
    forming candles."""
    return _candles(table, inst_id, timeframe, row_values(table, inst_id, ct_val), indices)


def _candles(table: CandleTable, inst_id: str, timeframe: str, values: Callable[[int], dict[str, Any]],
             indices: Sequence[int] | None) -> Iterator[Candle]:
    for i in range(len(table)) if indices is None else indices:
        try:
            yield Candle(inst_id=inst_id, timeframe=timeframe, **values(i))
        except ValidationError as exc:  # the float pass of read_table let it through: only at the last digit
            raise CandleFileError(f"{table.where(i)}: {invalid_candle(exc)}") from None


def row_values(table: CandleTable, inst_id: str, ct_val: Decimal | None) -> Callable[[int], dict[str, Any]]:
    """Row index → the Candle fields of that row (ts, prices and volumes as Decimal, confirmed)."""
    if table.volume_unit == "base" and ct_val is None:
        raise CandleFileError(f"the contract value (ctVal) of {inst_id} is needed to turn base volume into contracts")
    cols = {name: values.tolist() for name, values in table.columns.items()}
    stamps = table.ts_ms.tolist()
    def dec(name: str, i: int) -> Decimal:
        return Decimal(_decimal_text(cols[name][i]))


    def values(i: int) -> dict[str, Any]:
        close = dec("close", i)
        if table.volume_unit == "okx":
            volume, volume_ccy, volume_quote = dec("volume", i), dec("volume_ccy", i), dec("volume_quote", i)
            confirmed = cols["confirm"][i] == "1"
        else:
            volume_ccy = dec("volume", i)
            volume, volume_quote, confirmed = volume_ccy / ct_val, volume_ccy * close, True  # type: ignore[operator]
        return {"ts": from_ms(stamps[i]), "open": dec("open", i), "high": dec("high", i), "low": dec("low", i),
                "close": close, "volume": volume, "volume_ccy": volume_ccy, "volume_quote": volume_quote,
                "confirmed": confirmed}

    return values


def check_timeframe(table: CandleTable, timeframe: str) -> None:
    """Refuse a file whose bar times do not fit `timeframe` (e.g. 1m bars imported as 15m)."""
    step = timeframe_ms(timeframe)
    misaligned = np.flatnonzero(table.ts_ms % step)
    if len(misaligned):
        first = misaligned[0]
        raise CandleFileError(f"{table.where(first)}: bar time {from_ms(int(table.ts_ms[first])):%Y-%m-%d %H:%M}Z "
                              f"is not a {timeframe} boundary: is the file really {timeframe}?")


def load_frame(path: Path, timeframe: str) -> CandleFrame:
    """A file as a CandleFrame of closed bars (volume in base currency), for backtests and benchmarks."""
    table = read_table(path, texts=False)
    check_timeframe(table, timeframe)
    keep = slice(None) if table.volume_unit == "base" else table.columns["confirm"] == "1"
    volume = "volume" if table.volume_unit == "base" else "volume_ccy"
    return CandleFrame.from_arrays(timeframe, table.ts_ms[keep],
                                   *(_floats(table.columns[c][keep]) for c in ("open", "high", "low", "close", volume)))
