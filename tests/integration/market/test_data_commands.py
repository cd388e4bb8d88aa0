"""`trading-bot data import` and `data aggregate` against a real database, on slices of the real files."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.kit.cli import clean_env, run_cli
from trading_bot.cli import app
from trading_bot.storage.repos.candles import count, fetch_candles

pytestmark = pytest.mark.shared

INST = "BTC-USDT-SWAP"


def _env(db_url: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, LOG_LEVEL="WARNING")


def _invoke(db_url: str, *args: str):  # noqa: ANN202
    return CliRunner().invoke(app, list(args), env=_env(db_url))


def _csv_slice(shared_dir: Path, name: str, rows: int, tmp_path: Path) -> Path:
    target = tmp_path / name
    with gzip.open(shared_dir / "data" / name, "rt") as source, gzip.open(target, "wt") as sink:
        for _ in range(rows + 1):  # header + rows
            sink.write(source.readline())
    return target


def test_csv_import_is_exact_and_idempotent(shared_dir: Path, tmp_path: Path, db_url: str, database) -> None:  # noqa: ANN001
    path = _csv_slice(shared_dir, "okx_BTC-USDT-SWAP_15m_20230101-20260418.csv.gz", 300, tmp_path)
    first = run_cli("data", "import", str(path), "--instrument", INST, "--timeframe", "15m", env=_env(db_url))
    assert first.returncode == 0, first.stderr
    assert "300 bars 2023-01-01 00:00Z → 2023-01-04 02:45Z, 300 new, 0 identical already stored" in first.stdout
    assert count(database, INST, "15m") == 300
    stored = fetch_candles(database, INST, "15m", limit=300)
    text = pd.read_csv(path, dtype=str)
    for i in (0, 123, 299):
        candle, row = stored[i], text.iloc[i]
        assert candle.ts == datetime.fromisoformat(row["date"].replace("Z", "+00:00"))
        assert (candle.open, candle.high, candle.low, candle.close) == tuple(
            Decimal(row[c]) for c in ("open", "high", "low", "close"))
        assert candle.volume_ccy == Decimal(row["volume"]) and candle.volume == Decimal(row["volume"]) / Decimal("0.01")
        assert candle.volume_quote == Decimal(row["volume"]) * Decimal(row["close"]) and candle.confirmed
    again = _invoke(db_url, "data", "import", str(path), "--instrument", INST, "--timeframe", "15m")
    assert again.exit_code == 0, again.stderr
    assert "0 new, 300 identical already stored" in again.stdout
    assert count(database, INST, "15m") == 300 and fetch_candles(database, INST, "15m", limit=300) == stored


def test_feather_and_csv_give_the_same_candles(shared_dir: Path, tmp_path: Path, db_url: str, database) -> None:  # noqa: ANN001
    frame = pd.read_feather(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather").iloc[5000:5200]
    feather = tmp_path / "slice.feather"
    frame.reset_index(drop=True).to_feather(feather)
    csv = tmp_path / "slice.csv"
    frame.assign(date=frame["date"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(csv, index=False)
    assert _invoke(db_url, "data", "import", str(feather), "--instrument", INST, "--timeframe", "15m").exit_code == 0
    from_feather = fetch_candles(database, INST, "15m")
    assert _invoke(db_url, "data", "import", str(csv), "--instrument", "ETH-USDT-SWAP", "--timeframe", "15m",
                   "--ct-val", "0.01").exit_code == 0
    from_csv = fetch_candles(database, "ETH-USDT-SWAP", "15m")
    assert len(from_feather) == 200
    assert [c.model_copy(update={"inst_id": INST}) for c in from_csv] == from_feather


def test_okx_candle_json_keeps_contracts_base_and_quote_volume(shared_dir: Path, tmp_path: Path, db_url: str,  # noqa: ANN001
                                                               database) -> None:
    path = shared_dir / "okx" / "fixtures" / "recorded" / "market_candles__BTC-USDT-SWAP_1m.json"
    result = _invoke(db_url, "data", "import", str(path), "--instrument", INST, "--timeframe", "1m")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(path.read_text())["data"]
    stored = fetch_candles(database, INST, "1m")
    assert [c.ts for c in stored] == sorted(datetime.fromtimestamp(int(r[0]) / 1000, UTC) for r in rows)
    newest = stored[-1]
    assert (newest.close, newest.volume, newest.volume_ccy, newest.volume_quote, newest.confirmed) == (
        Decimal(rows[0][4]), Decimal(rows[0][5]), Decimal(rows[0][6]), Decimal(rows[0][7]), True)


def test_refuses_a_file_that_is_not_the_timeframe_given_and_unknown_contract_values(
        shared_dir: Path, tmp_path: Path, db_url: str, database) -> None:  # noqa: ANN001
    one_minute = _csv_slice(shared_dir, "okx_BTC-USDT-SWAP_1m_20260101-20260116.csv.gz", 30, tmp_path)
    wrong = _invoke(db_url, "data", "import", str(one_minute), "--instrument", INST, "--timeframe", "15m")
    assert wrong.exit_code == 2 and "is not a 15m boundary: is the file really 15m?" in wrong.stderr
    unknown = _invoke(db_url, "data", "import", str(one_minute), "--instrument", "SOL-USDT-SWAP", "--timeframe", "1m")
    assert unknown.exit_code == 2 and "contract value (ctVal) of SOL-USDT-SWAP is needed" in unknown.stderr
    missing = _invoke(db_url, "data", "import", str(tmp_path / "nope.csv"), "--instrument", INST, "--timeframe", "1m")
    assert missing.exit_code == 2 and "no such file" in missing.stderr
    assert count(database, INST, "15m") == count(database, "SOL-USDT-SWAP", "1m") == 0


def test_one_minute_import_aggregates_into_the_real_15m_1h_and_4h_bars(shared_dir: Path, tmp_path: Path,  # noqa: ANN001
                                                                        db_url: str, database) -> None:
    path = _csv_slice(shared_dir, "okx_BTC-USDT-SWAP_1m_20260101-20260116.csv.gz", 1_450, tmp_path)  # 24h + 10 min
    result = _invoke(db_url, "data", "import", str(path), "--instrument", INST, "--timeframe", "1m",
                     "--aggregate", "15m,1H,4H")
    assert result.exit_code == 0, result.stderr
    assert "BTC-USDT-SWAP 15m: 96 bars built from 1m" in result.stdout
    assert "BTC-USDT-SWAP 4H: 6 bars built from 1m, 1 incomplete bucket(s) left out" in result.stdout
    fifteen = pd.read_feather(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather")
    fifteen = fifteen[(fifteen["date"] >= "2026-01-01") & (fifteen["date"] < "2026-01-02")]
    built = fetch_candles(database, INST, "15m")
    assert len(built) == 96
    for candle, (_, row) in zip(built, fifteen.iterrows(), strict=True):
        assert [float(candle.open), float(candle.high), float(candle.low), float(candle.close)] == [
            row["open"], row["high"], row["low"], row["close"]]
        assert float(candle.volume_ccy) == pytest.approx(row["volume"], rel=1e-12)
    hours = fetch_candles(database, INST, "1H")
    assert len(hours) == 24 and hours[0].high == max(c.high for c in built[:4])
    shutil.rmtree(tmp_path)
    rebuilt = _invoke(db_url, "data", "aggregate", "--instrument", INST, "--timeframe", "1m", "--into", "1H",
                      "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-01T05:59:00Z")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    assert "BTC-USDT-SWAP 1H: 6 bars built from 1m" in rebuilt.stdout
    assert fetch_candles(database, INST, "1H") == hours
