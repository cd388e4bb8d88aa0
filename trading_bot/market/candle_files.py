"""Candle files: the Feather / CSV.gz OHLCV files of ../shared/data (freqtrade layout) and OKX
candle JSON (a `/market/candles` or `history-candles` response, or just its `data` rows).

Feather/CSV volume is in base currency (OKX `volCcy`); contracts are volume / ctVal, and the quote
volume, which those files lack, is approximated as volume × close. OKX JSON carries all three.
Prices keep their decimal text (CSV, JSON) or the shortest repr of the float (Feather), so what is
stored is exactly what the file says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from trading_bot.clock import from_ms
from trading_bot.domain.market import Candle
from trading_bot.market.frame import CandleFrame, timeframe_ms

# Contract values of OKX USDT swaps (ctVal of /public/instruments), for files that give base volume.
KNOWN_CT_VAL: dict[str, Decimal] = {"BTC-USDT-SWAP": Decimal("0.01"), "ETH-USDT-SWAP": Decimal("0.1")}
OHLCV = ("open", "high", "low", "close", "volume")


class CandleFileError(ValueError):
    """The file is not a candle file this module can read; the message says what is wrong."""


@dataclass(frozen=True)
class CandleTable:
    """Rows of a candle file as decimal strings, oldest first."""

    ts_ms: np.ndarray  # int64 bar open time
    columns: dict[str, list[str]]  # open, high, low, close, volume (+ volume_ccy, volume_quote, confirm for OKX)
    volume_unit: str  # "base" (files of ../shared/data) or "okx" (contracts, base and quote given)

    def __len__(self) -> int:
        return len(self.ts_ms)


def read_table(path: Path) -> CandleTable:
    name = path.name.lower()
    if not path.is_file():
        raise CandleFileError(f"{path}: no such file")
    if name.endswith(".feather"):
        return _sorted(_from_frame(pd.read_feather(path), path))
    if name.endswith((".csv", ".csv.gz")):
        return _sorted(_from_frame(pd.read_csv(path, dtype=str), path))
    if name.endswith((".json", ".json.gz")):
        return _sorted(_from_okx_json(path))
    raise CandleFileError(f"{path}: expected a .feather, .csv(.gz) or OKX .json candle file")


def _from_frame(frame: pd.DataFrame, path: Path) -> CandleTable:
    missing = [c for c in OHLCV if c not in frame.columns]
    if missing:
        raise CandleFileError(f"{path}: missing column(s) {', '.join(missing)} (columns: {', '.join(frame.columns)})")
    if "ts_ms" in frame.columns:
        stamps = frame["ts_ms"].astype("int64").to_numpy()
    elif "date" in frame.columns:
        stamps = epoch_ms(frame["date"])
    else:
        raise CandleFileError(f"{path}: needs a `ts_ms` or `date` column with the bar open time")
    columns = {c: [_decimal_text(v) for v in frame[c].tolist()] for c in OHLCV}
    return CandleTable(stamps, columns, "base")


def epoch_ms(dates: pd.Series) -> np.ndarray:
    """Unix milliseconds of timestamps or ISO texts (whatever resolution pandas parsed them at)."""
    return pd.to_datetime(dates, utc=True).dt.as_unit("ms").astype("int64").to_numpy()


def _decimal_text(value: object) -> str:
    return value if isinstance(value, str) else repr(float(value))  # type: ignore[arg-type]


def _from_okx_json(path: Path) -> CandleTable:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
        payload = json.load(handle)
    rows = payload.get("data") if isinstance(payload, dict) else payload
    if isinstance(payload, dict) and payload.get("code") not in (None, "0"):
        raise CandleFileError(f"{path}: OKX error response code {payload.get('code')}: {payload.get('msg')}")
    if not isinstance(rows, list) or any(not isinstance(r, list) or len(r) < 9 for r in rows):
        raise CandleFileError(f"{path}: expected OKX candle rows [ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]")
    names = ("open", "high", "low", "close", "volume", "volume_ccy", "volume_quote", "confirm")
    columns = {name: [str(row[i + 1]) for row in rows] for i, name in enumerate(names)}
    return CandleTable(np.array([int(row[0]) for row in rows], dtype=np.int64), columns, "okx")


def _sorted(table: CandleTable) -> CandleTable:
    order = np.argsort(table.ts_ms, kind="stable")
    stamps = table.ts_ms[order]
    if len(stamps) > 1 and not bool(np.all(np.diff(stamps) > 0)):
        first = int(stamps[np.flatnonzero(np.diff(stamps) == 0)[0]])
        raise CandleFileError(f"duplicate bar time {from_ms(first):%Y-%m-%d %H:%M}Z in the file")
    columns = {name: [values[i] for i in order] for name, values in table.columns.items()}
    return CandleTable(stamps, columns, table.volume_unit)


def candles(table: CandleTable, inst_id: str, timeframe: str, ct_val: Decimal | None) -> Iterator[Candle]:
    """The table's rows as closed (or, for OKX rows with confirm "0", forming) candles."""
    if table.volume_unit == "base" and ct_val is None:
        raise CandleFileError(f"the contract value (ctVal) of {inst_id} is needed to turn base volume into contracts")
    cols = table.columns
    for i, stamp in enumerate(table.ts_ms.tolist()):
        close = Decimal(cols["close"][i])
        if table.volume_unit == "okx":
            volume, volume_ccy = Decimal(cols["volume"][i]), Decimal(cols["volume_ccy"][i])
            volume_quote, confirmed = Decimal(cols["volume_quote"][i]), cols["confirm"][i] == "1"
        else:
            volume_ccy = Decimal(cols["volume"][i])
            volume, volume_quote, confirmed = volume_ccy / ct_val, volume_ccy * close, True  # type: ignore[operator]
        yield Candle(inst_id=inst_id, timeframe=timeframe, ts=from_ms(stamp), open=Decimal(cols["open"][i]),
                     high=Decimal(cols["high"][i]), low=Decimal(cols["low"][i]), close=close, volume=volume,
                     volume_ccy=volume_ccy, volume_quote=volume_quote, confirmed=confirmed)


def check_timeframe(table: CandleTable, timeframe: str) -> None:
    """Refuse a file whose bar times do not fit `timeframe` (e.g. 1m bars imported as 15m)."""
    step = timeframe_ms(timeframe)
    misaligned = np.flatnonzero(table.ts_ms % step)
    if len(misaligned):
        first = from_ms(int(table.ts_ms[misaligned[0]]))
        raise CandleFileError(f"bar time {first:%Y-%m-%d %H:%M}Z is not a {timeframe} boundary: "
                              f"is the file really {timeframe}?")


def load_frame(path: Path, timeframe: str) -> CandleFrame:
    """A file as a CandleFrame of closed bars (volume in base currency), for backtests and benchmarks."""
    name = path.name.lower()
    if name.endswith((".feather", ".csv", ".csv.gz")):
        data = pd.read_feather(path) if name.endswith(".feather") else pd.read_csv(path)
        if "ts_ms" in data.columns:
            stamps = data["ts_ms"].astype("int64").to_numpy()
        else:
            stamps = epoch_ms(data["date"])
        order = np.argsort(stamps, kind="stable")
        frame = CandleFrame.from_arrays(timeframe, stamps[order], *(data[c].to_numpy()[order] for c in OHLCV))
    else:
        table = read_table(path)
        cols = table.columns
        keep = [i for i, flag in enumerate(cols["confirm"]) if flag == "1"]
        arrays = [np.array([float(cols[c][i]) for i in keep]) for c in ("open", "high", "low", "close", "volume_ccy")]
        frame = CandleFrame.from_arrays(timeframe, table.ts_ms[keep], *arrays)
    if len(frame) and bool(np.any(frame.ts % frame.step_ms)):
        raise CandleFileError(f"{path}: bar times are not {timeframe} boundaries: is the file really {timeframe}?")
    return frame
