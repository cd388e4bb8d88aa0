"""`trading-bot backtest` end to end in a subprocess: a few hours of the real 1m file through the
whole pipeline on a throwaway database, the files it writes, and the numbers in them."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.kit.cli import clean_env, run_cli
from trading_bot.backtest.metrics import compute_metrics, to_jsonable
from trading_bot.backtest.outputs import read_equity, read_trades
from trading_bot.clock import parse_iso

pytestmark = [pytest.mark.shared, pytest.mark.slow]
ONE_MINUTE = "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather"
FUNDING = "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather"


def _databases(admin_url: str, prefix: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (prefix + "%",))}


def test_backtest_writes_summary_trades_equity_and_report(shared_dir: Path, db_url: str, pg_admin_url: str,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("backtest", "--data", str(shared_dir / "data" / ONE_MINUTE),
                     "--funding", str(shared_dir / "data" / FUNDING), "--instrument", "BTC-USDT-SWAP",
                     "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-05T12:00:00Z", "--cycle", "15m",
                     "--equity", "10000", "--out", str(out), "--run-id", "bt-cli-test",
                     env=clean_env(DATABASE_URL=db_url), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "total return" in result.stdout and "buy & hold" in result.stdout
    assert {p.name for p in out.iterdir()} >= {"summary.json", "trades.csv", "equity.csv", "report.html"}
    assert not _databases(pg_admin_url, "tb_bt_cli_test"), "the throwaway database is dropped"

    summary = json.loads((out / "summary.json").read_text())
    assert summary["cycles"] == summary["planned_cycles"] == 48 and not summary["stopped"]
    assert summary["brain"] == "rules" and summary["run_id"] == "bt-cli-test" and summary["halted"] is None
    trades, equity = read_trades(out / "trades.csv"), read_equity(out / "equity.csv")
    assert trades, "the rules brain trades within 12 hours of this data"
    # the summary's numbers are exactly the metrics of its own trades.csv and equity.csv
    recomputed = to_jsonable(compute_metrics(trades, equity))
    metrics = summary["metrics"]
    assert {k: v for k, v in metrics.items() if k != "buy_and_hold"} == \
        {k: v for k, v in recomputed.items() if k != "buy_and_hold"}
    # the equity curve starts at the initial equity, ends at the final one, and moved by the trades
    assert equity[0].equity == Decimal("10000") and equity[0].ts == parse_iso("2026-01-05T00:15:00Z")
    assert equity[-1].equity == Decimal(summary["final_equity"])
    assert equity[-1].equity - equity[0].equity == sum((t.net_pnl for t in trades), Decimal(0))
    assert all(t.fees < 0 for t in trades)
    # buy-and-hold over the same period, from the file's 15m closes
    bench = metrics["buy_and_hold"]
    assert bench is not None and bench["start_equity"] == "10000"
    assert metrics["trades"]["trades"] == len(trades) == sum(1 for _ in trades)


def test_a_halt_nobody_resumes_is_reported(shared_dir: Path, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("backtest", "--data", str(shared_dir / "data" / ONE_MINUTE),
                     "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-05T12:00:00Z", "--out", str(out),
                     env=clean_env(DATABASE_URL=db_url, RISK_MAX_DRAWDOWN_PCT="0.002"), timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    halted = summary["halted"]
    assert halted["state"] == "EMERGENCY_HALTED" and "below the peak" in halted["reason"]
    idle = summary["outcomes"]["skipped_emergency_halted"]
    assert idle > 0 and f"so {idle:,} later cycles opened nothing" in result.stdout.replace("\n", " ")
    assert "nobody resumes a backtest" in (out / "report.html").read_text()
    assert not any(t.entry_ts > parse_iso(halted["at"]) for t in read_trades(out / "trades.csv"))


def test_bad_input_is_one_line_and_exit_2(shared_dir: Path, db_url: str, tmp_path: Path) -> None:
    data = str(shared_dir / "data" / ONE_MINUTE)
    env = clean_env(DATABASE_URL=db_url)
    cases = [
        (["--data", data, "--instrument", "ETH-USDT-SWAP"], "--instrument ETH-USDT-SWAP"),
        (["--data", data, "--from", "2020-01-01T00:00:00Z"], "outside the data"),
        (["--data", data, "--cycle", "fast"], "--cycle"),
        (["--data", data, "--brain", "oracle"], "--brain"),
        (["--data", data, "--from", "2026-01-06T00:00:00Z", "--to", "2026-01-05T00:00:00Z"], "--to must be after --from"),
        (["--data", str(tmp_path / "nope.feather")], "no such file"),
        (["--data", data, "--brain", "claude"], "ANTHROPIC_API_KEY"),
        (["--data", data, "--windows", "0"], "--windows: expected a whole number of windows, at least 1, got '0'"),
        (["--data", data, "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-05T01:00:00Z", "--windows", "5"],
         "--windows 5: the period has only 4 cycle slots"),
        (["--data", data, "--windows", "2", "--brain", "claude"], "--windows runs the rules brain only"),
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:  # independent processes: run them side by side
        results = list(pool.map(lambda case: run_cli("backtest", "--out", str(tmp_path / "x"), *case[0], env=env),
                                cases))
    for (args, message), result in zip(cases, results, strict=True):
        assert result.returncode == 2, (args, result.stderr[-2000:])
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
