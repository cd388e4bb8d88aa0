"""`trading-bot data import` refusing bad files and conflicting re-imports: the real entry point in a
subprocess, small files written to tmp_path, a real database. A refusal is one line on stderr naming
the file (and the 1-based data row), exit 2, and nothing written."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.kit.cli import clean_env, run_cli
from trading_bot.domain.market import Candle
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import count, fetch_candles, upsert_candles

INST = "BTC-USDT-SWAP"
T0 = datetime(2026, 1, 5, tzinfo=UTC)
HEADER = "date,open,high,low,close,volume"
GOOD = ["2026-01-05T00:00:00Z,100,105,99,104,1.5", "2026-01-05T00:15:00Z,104,106,103,105,2",
        "2026-01-05T00:30:00Z,105,107,104,106,0"]


def _csv(lines: list[str]) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def _with_row2(row: str) -> str:
    return _csv([GOOD[0], row, GOOD[2]])


def _okx(rows: list[list[str]]) -> str:
    return json.dumps({"code": "0", "msg": "", "data": rows})


def _truncated_feather(path: Path) -> None:
    frame = pd.read_csv(io.StringIO(_csv(GOOD)))
    frame["date"] = pd.to_datetime(frame["date"], utc=True)
    frame.to_feather(path)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# file name → (content, or a writer; the message after "error: <path>: ")
BAD_FILES: dict[str, tuple[str | Callable[[Path], None], str]] = {
    "plain.csv.gz": (_csv(GOOD), "not a readable CSV file (named .gz but not gzip): BadGzipFile: "
                                 "Not a gzipped file (b'da')"),
    "truncated.feather": (_truncated_feather, "not a readable Feather file: "),
    "columns.csv": ("date,open,high,low\n2026-01-05T00:00:00Z,100,105,99\n",
                    "missing column(s) close, volume (columns: date, open, high, low)"),
    "text.csv": (_with_row2("2026-01-05T00:15:00Z,104,106,103,abc,2"), "data row 2: close 'abc' is not a number"),
    "nan.csv": (_with_row2("2026-01-05T00:15:00Z,104,NaN,103,105,2"), "data row 2: high NaN is not a finite number"),
    "inf.csv": (_with_row2("2026-01-05T00:15:00Z,104,inf,103,105,2"),
                "data row 2: high Infinity is not a finite number"),
    "negative.csv": (_with_row2("2026-01-05T00:15:00Z,104,106,-103,105,2"), "data row 2: low -103 is not above 0"),
    "inverted.csv": (_with_row2("2026-01-05T00:15:00Z,104,102,103,105,2"), "data row 2: high 102 is below low 103"),
    "open_above.csv": (_with_row2("2026-01-05T00:15:00Z,107,106,103,105,2"), "data row 2: high 106 is below open 107"),
    "volume.csv": (_with_row2("2026-01-05T00:15:00Z,104,106,103,105,-2"), "data row 2: volume -2 is negative"),
    "blank.csv": (_with_row2("2026-01-05T00:15:00Z,104,106,103,,2"), "data row 2: close is empty"),
    "date.csv": (_with_row2("yesterday,104,106,103,105,2"), "data row 2: date 'yesterday' is not a time"),
    "twice.csv": (_csv([GOOD[2], GOOD[0], GOOD[2].replace(",0", ",1")]),  # unsorted: rows are the file's
                  "data rows 1 and 3 have the same bar time 2026-01-05 00:30Z"),
    "zero.csv": ("", "the file is empty"),
    "header.csv": (HEADER + "\n", "holds no candles"),
    "empty.json": (_okx([]), "holds no candles"),
    "inverted.json": (_okx([["1767571200000", "100", "101", "99", "100", "10", "0.1", "10", "1"],
                            ["1767572100000", "100", "99", "101", "100", "10", "0.1", "10", "1"]]),
                      "data row 2: high 99 is below low 101"),
    "cut.json": ('{"code": "0", "data": [["1767571200000", "100"', "not a readable JSON file: JSONDecodeError: "),
}


def _env(db_url: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, LOG_LEVEL="WARNING")


def _import(db_url: str, path: Path, *extra: str):  # noqa: ANN202
    return run_cli("data", "import", str(path), "--instrument", INST, "--timeframe", "15m", *extra, env=_env(db_url))


@pytest.mark.slow  # 18 processes
def test_every_bad_file_is_one_line_naming_file_and_row_exit_2_nothing_written(
        tmp_path: Path, db_url: str, database: Database) -> None:
    paths = []
    for name, (content, _) in BAD_FILES.items():
        path = tmp_path / name
        content(path) if callable(content) else path.write_text(content)
        paths.append(path)
    with ThreadPoolExecutor(max_workers=3) as pool:  # independent processes: run them side by side
        results = list(pool.map(lambda path: _import(db_url, path), paths))
    for path, (_, message), result in zip(paths, BAD_FILES.values(), results, strict=True):
        assert result.returncode == 2, (path.name, result.stdout, result.stderr[-2000:])
        assert result.stderr.startswith(f"error: {path}: {message}"), (path.name, result.stderr)
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr, (path.name, result.stderr)
    assert count(database, INST, "15m") == 0


def test_a_bad_row_found_only_while_writing_leaves_nothing_written(tmp_path: Path, db_url: str,
                                                                   database: Database) -> None:
    """Past the first batch of 2000 bars, a high below the open only in the 17th significant digit (as
    floats the two are equal, so only the Decimal check of the Candle model sees it)."""
    rows = [f"{(T0 + i * timedelta(minutes=15)):%Y-%m-%dT%H:%M:%SZ},100,101,99,100,1" for i in range(3000)]
    rows[2499] = f"{(T0 + 2499 * timedelta(minutes=15)):%Y-%m-%dT%H:%M:%SZ},100.00000000000000002,"\
                 "100.00000000000000001,99,100,1"
    path = tmp_path / "late.csv"
    path.write_text(_csv(rows))
    result = _import(db_url, path)
    assert result.returncode == 2, result.stdout
    assert result.stderr == (f"error: {path}: data row 2500: high 100.00000000000000001 is below open "
                             "100.00000000000000002\n")
    assert count(database, INST, "15m") == 0


def _prices(database: Database) -> list[tuple[datetime, Decimal, Decimal, bool]]:
    return [(c.ts, c.high, c.close, c.confirmed) for c in fetch_candles(database, INST, "15m")]


def test_a_conflicting_reimport_is_refused_whole_unless_replace(tmp_path: Path, db_url: str,
                                                                database: Database) -> None:
    first = tmp_path / "first.csv"
    first.write_text(_csv(GOOD))
    assert _import(db_url, first).returncode == 0
    stored = _prices(database)
    assert len(stored) == 3
    second = tmp_path / "second.csv"
    second.write_text(_csv([GOOD[1], "2026-01-05T00:30:00Z,105,107.5,104,106.5,0",
                            "2026-01-05T00:45:00Z,106,108,105,107,3"]))

    refused = _import(db_url, second)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (f"error: {second}: 1 new, 1 identical already stored, 1 conflicting: first at "
                              "2026-01-05 00:30Z (stored high=107 close=106 vs file high=107.5 close=106.5); "
                              "nothing written (--replace overwrites the stored bars)\n")
    assert _prices(database) == stored  # the new 00:45 bar is not written either

    replaced = _import(db_url, second, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout == ("BTC-USDT-SWAP 15m: 3 bars 2026-01-05 00:15Z → 2026-01-05 00:45Z, 1 new, "
                               "1 identical already stored, 1 conflicting replaced\n")
    assert _prices(database) == [*stored[:2], (T0 + timedelta(minutes=30), Decimal("107.5"), Decimal("106.5"), True),
                                 (T0 + timedelta(minutes=45), Decimal("108"), Decimal("107"), True)]
    again = _import(db_url, second)
    assert again.returncode == 0 and "0 new, 3 identical already stored\n" in again.stdout


def test_a_stored_forming_bar_is_completed_by_the_file_and_a_forming_row_never_replaces_a_closed_bar(
        tmp_path: Path, db_url: str, database: Database) -> None:
    """ws-public stores the bar forming at 00:30 (it changes until it closes): a file's closed bar
    takes its place without a conflict. An OKX JSON forming row of a bar stored closed is left alone."""
    forming = Candle(inst_id=INST, timeframe="15m", ts=T0 + timedelta(minutes=30), open=Decimal(105),
                     high=Decimal("105.5"), low=Decimal(104), close=Decimal("105.2"), volume=Decimal(1),
                     volume_ccy=Decimal("0.01"), volume_quote=Decimal("1.05"), confirmed=False)
    upsert_candles(database, [forming])
    path = tmp_path / "bars.csv"
    path.write_text(_csv(GOOD))
    result = _import(db_url, path)
    assert result.returncode == 0 and "3 new, 0 identical already stored\n" in result.stdout, result.stderr
    assert _prices(database)[2] == (T0 + timedelta(minutes=30), Decimal(107), Decimal(106), True)

    okx = tmp_path / "okx.json"  # newest first, as OKX answers: a forming 00:45 bar and a late forming 00:30
    okx.write_text(_okx([["1767573900000", "106", "106.5", "105.5", "106", "5", "0.05", "5.3", "0"],
                         ["1767573000000", "105", "105.1", "104.9", "105", "5", "0.05", "5.25", "0"]]))
    late = _import(db_url, okx)
    assert late.returncode == 0, late.stderr
    assert late.stdout == ("BTC-USDT-SWAP 15m: 2 bars 2026-01-05 00:30Z → 2026-01-05 00:45Z, 1 new, 0 identical "
                           "already stored, 1 forming bar(s) already stored closed\n"
                           "1 bar(s) still forming (confirm 0) stored as unconfirmed\n")
    assert _prices(database)[2:] == [(T0 + timedelta(minutes=30), Decimal(107), Decimal(106), True),
                                     (T0 + timedelta(minutes=45), Decimal("106.5"), Decimal(106), False)]


def test_a_gzip_csv_is_read_like_the_plain_one(tmp_path: Path, db_url: str, database: Database) -> None:
    path = tmp_path / "bars.csv.gz"
    with gzip.open(path, "wt") as sink:
        sink.write(_csv(GOOD[::-1]))  # unsorted rows are fine: bars are stored by time
    result = _import(db_url, path)
    assert result.returncode == 0 and "3 bars 2026-01-05 00:00Z → 2026-01-05 00:30Z, 3 new" in result.stdout
    assert [c.ts for c in fetch_candles(database, INST, "15m")] == [T0 + k * timedelta(minutes=15) for k in range(3)]
