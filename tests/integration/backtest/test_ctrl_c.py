"""Ctrl-C during `trading-bot backtest`: the current cycle ends, the loop stops, and the partial
results are written (summary, trades, equity, report) with exit 0; the run's database is dropped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.integration.backtest.conftest import FUNDING, ONE_MINUTE
from tests.kit import services
from tests.kit.cli import ROOT, clean_env

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def _cycles(admin_url: str, name: str) -> int:
    try:
        with psycopg.connect(services.database_url(admin_url, name), connect_timeout=2) as conn:
            return conn.execute("SELECT count(*) FROM decision_cycles WHERE finished_at IS NOT NULL").fetchone()[0]
    except psycopg.Error:
        return 0


PLANNED = 7 * 24 * 60  # a cycle a minute for a week: long enough (~20 s) to be interrupted mid-run


def test_ctrl_c_stops_with_partial_results(shared_dir: Path, db_url: str, pg_admin_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    services.drop_database(pg_admin_url, "tb_bt_ctrlc")  # a run killed before could have left it
    process = subprocess.Popen(
        [sys.executable, "-m", "trading_bot", "backtest", "--data", str(shared_dir / "data" / ONE_MINUTE),
         "--funding", str(shared_dir / "data" / FUNDING), "--from", "2026-01-05T00:00:00Z",
         "--to", "2026-01-12T00:00:00Z", "--cycle", "1m", "--run-id", "bt-ctrlc", "--out", str(out)],
        env=clean_env(DATABASE_URL=db_url), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while _cycles(pg_admin_url, "tb_bt_ctrlc") < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert process.poll() is None, "the backtest ended before it could be interrupted"
        os.kill(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr[-3000:]
    assert "stopping after this cycle" in stderr and "stopped early" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["stopped"] and 3 <= summary["cycles"] < summary["planned_cycles"] == PLANNED
    assert (out / "equity.csv").read_text().count("\n") >= 2 and (out / "trades.csv").exists()
    with psycopg.connect(pg_admin_url) as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = 'tb_bt_ctrlc'").fetchone() is None
