"""`trading-bot backtest --windows 4` over two real Celery workers consuming the `backtest` queue
(own Redis namespace, the real 15m file): the combined summary equals the same four windows run one
by one in this process, and both workers took part. Without a worker the command fails at once."""

from __future__ import annotations

import json
import shlex
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.kit import services
from tests.kit.cli import clean_env, run_cli
from tests.kit.processes import Proc
from tests.kit.waiting import wait_until
from trading_bot.backtest.dispatch import WORKER_COMMAND
from trading_bot.backtest.results import write_results
from trading_bot.backtest.runner import BacktestSpec, prepare, run
from trading_bot.clock import SystemClock, parse_iso
from trading_bot.config import Settings
from trading_bot.storage.db import Database, dispose_engines, engine_for

pytestmark = [pytest.mark.shared, pytest.mark.slow]
FIFTEEN = "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
FROM, TO = "2024-03-01T00:00:00Z", "2024-03-07T00:00:00Z"  # 576 cycles of 15m: four windows of 144
WINDOW = timedelta(hours=36)


def worker_argv(name: str) -> list[str]:
    """The documented worker command (this interpreter's celery), one process, named `name`."""
    words = shlex.split(WORKER_COMMAND)
    words[words.index("-n") + 1] = f"{name}@%h"
    return [sys.executable, "-m", *words, "-c", "1", "--without-mingle", "--without-gossip"]


@pytest.fixture
def env(db_url: str, redis_url: str, namespace: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, LOG_FORMAT="console")


@pytest.fixture
def two_workers(env: dict[str, str]) -> Iterator[list[Proc]]:
    """Two workers, starting (the test waits for their "ready.")."""
    procs = [Proc(worker_argv(name), env, name=name) for name in ("bt1", "bt2")]
    try:
        yield procs
    finally:
        for proc in procs:  # both shut down at once
            proc.signal(signal.SIGTERM)
        for proc in procs:
            proc.stop()


def windows_command(workers: list[Proc], *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    for proc in workers:
        proc.wait_for("ready.", timeout=90)
    return run_cli("backtest", *args, env=env, timeout=240)


def in_process(data: str, run_id: str, start: datetime, end: datetime, settings: Settings, admin_url: str,
               template: str, out: Path) -> dict:
    """The period as one ordinary backtest in this process (a fresh database, the steps of
    `trading-bot backtest`); its summary.json document."""
    name = services.create_database(admin_url, prefix="tb_btw", template=template)
    try:
        db = Database(engine_for(services.database_url(admin_url, name).replace("postgresql://", "postgresql+psycopg://")))
        spec = BacktestSpec(data=[data], instrument="BTC-USDT-SWAP", start=start, end=end, run_id=run_id)
        backtest = prepare(spec, settings, db)
        outcome = run(backtest)
        return write_results(backtest, outcome, db, out, "rules", SystemClock().now()).summary
    finally:
        dispose_engines()
        services.drop_database(admin_url, name)


def test_four_windows_on_two_workers_equal_the_windows_run_alone(
        shared_dir: Path, env: dict[str, str], two_workers: list[Proc], settings: Settings, pg_admin_url: str,
        migrated_template: str, tmp_path: Path) -> None:
    data, out, run_id = str(shared_dir / "data" / FIFTEEN), tmp_path / "out", f"btw-{uuid.uuid4().hex[:8]}"
    # 576 slots in four: 144 each, 36 hours, each window starting at the slot the one before ended on
    bounds = [(parse_iso(FROM) + WINDOW * k, parse_iso(FROM) + WINDOW * (k + 1)) for k in range(4)]
    settings = settings.model_copy(update={"brain_mode": "rules"})
    with ThreadPoolExecutor(max_workers=1) as pool:  # the windows on the workers while this process runs them alone
        command = pool.submit(windows_command, two_workers, "--data", data, "--from", FROM, "--to", TO, "--windows",
                              "4", "--run-id", run_id, "--out", str(out), env=env)
        alone = [in_process(data, f"{run_id}-w{k}", start, end, settings, pg_admin_url, migrated_template,
                            tmp_path / f"alone{k}") for k, (start, end) in enumerate(bounds, start=1)]
        result = command.result()
    assert result.returncode == 0, result.stderr[-3000:] + "\n".join(p.output[-2000:] for p in two_workers)
    combined = json.loads((out / "windows.json").read_text())
    rows = combined["windows"]
    assert [r["window"] for r in rows] == [1, 2, 3, 4] and combined["failed"] == {}
    assert [r["run_id"] for r in rows] == [f"{run_id}-w{k}" for k in range(1, 5)]
    assert [(parse_iso(r["start"]), parse_iso(r["end"])) for r in rows] == bounds
    assert [r["cycles"] for r in rows] == [144] * 4 and combined["cycles"] == 576
    assert {r["worker"].split("@")[0] for r in rows} == {"bt1", "bt2"}, "both workers ran windows"
    for k in range(1, 5):
        assert {"summary.json", "trades.csv", "equity.csv", "report.html"} <= {p.name for p in (out / f"w{k}").iterdir()}
        assert f"w{k} done (" in result.stdout
    assert " of 4): " in result.stdout and all(label in result.stdout for label in ("median", "worst", "best"))

    for row, summary in zip(rows, alone, strict=True):
        metrics = summary["metrics"]
        assert summary["cycles"] == row["cycles"], row["window"]
        assert metrics["trades"]["trades"] == row["trades"], row["window"]
        assert Decimal(summary["final_equity"]) == Decimal(row["final_equity"]), row["window"]
        assert metrics["equity"]["total_return"] == row["total_return"]
        assert metrics["equity"]["max_drawdown"]["pct"] == row["max_drawdown"]
        assert metrics["buy_and_hold"]["total_return"] == row["buy_and_hold_return"]
        window_summary = json.loads((out / f"w{row['window']}" / "summary.json").read_text())
        assert window_summary["final_equity"] == row["final_equity"] and window_summary["run_id"] == row["run_id"]
    assert sum(r["trades"] for r in rows) > 0, "the rules brain trades in six days of this data"
    for field, key in (("total_return", lambda s: s["metrics"]["equity"]["total_return"]),
                       ("buy_and_hold_return", lambda s: s["metrics"]["buy_and_hold"]["total_return"])):
        values = [key(s) for s in alone]
        stats = combined["across"][field]
        assert stats["median"] == pytest.approx(statistics.median(values), abs=1e-15)
        assert stats["worst"] == {"window": values.index(min(values)) + 1, "value": min(values)}
        assert stats["best"] == {"window": values.index(max(values)) + 1, "value": max(values)}
    print(f"window returns {[r['total_return'] for r in rows]}, workers {[r['worker'] for r in rows]}")


def test_without_a_worker_on_the_queue_it_fails_at_once(shared_dir: Path, env: dict[str, str], tmp_path: Path) -> None:
    data = str(shared_dir / "data" / FIFTEEN)
    result = run_cli("backtest", "--data", data, "--from", FROM, "--to", TO, "--windows", "2", "--out",
                     str(tmp_path / "out"), env=env, timeout=60)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "no Celery worker consumes the backtest queue" in result.stderr and WORKER_COMMAND in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "out").exists()


def test_a_failed_window_and_a_window_whose_worker_dies_are_reported(
        shared_dir: Path, env: dict[str, str], two_workers: list[Proc], settings: Settings, pg_admin_url: str) -> None:
    from trading_bot.backtest import dispatch
    from trading_bot.backtest.database import database_name_for
    from trading_bot.backtest.windows import Window
    from trading_bot.celery_app import app, configure

    for proc in two_workers:
        proc.wait_for("ready.", timeout=90)
    configure(settings)
    run_id, start, data = f"btw-{uuid.uuid4().hex[:8]}", parse_iso(FROM), (str(shared_dir / "data" / FIFTEEN),)
    long = Window(1, f"{run_id}-w1", data, "BTC-USDT-SWAP", start, start + timedelta(days=30), 2880, 900,
                  Decimal(10000), 0)  # far longer than the test
    taken = Window(2, f"{run_id}-w2", data, "BTC-USDT-SWAP", start, start + WINDOW, 144, 900, Decimal(10000), 0)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:  # a kept run of that name exists
        conn.execute(f'CREATE DATABASE "{database_name_for(taken.run_id)}"')
    try:
        sent = dispatch.submit(app, [long])
        result = sent[0][1]
        wait_until(lambda: result.state == "STARTED", 60, "a worker to start the long window")
        host = result.info["hostname"]
        sent += dispatch.submit(app, [taken])  # to the other worker: this one has no free process
        (victim,) = [p for p in two_workers if host.startswith(p.name + "@")]
        victim.signal(signal.SIGKILL)
        began = time.monotonic()
        finished = dispatch.wait(app, sent, lambda _: None, poll=0.2, check_every=1.0)
        waited = time.monotonic() - began
    finally:
        for window in (long, taken):
            services.drop_database(pg_admin_url, database_name_for(window.run_id))  # the killed run could not
    errors = {f.window.number: f.error for f in finished}
    assert errors[2] == (f"window 2: --run-id {taken.run_id}: database {database_name_for(taken.run_id)} exists "
                         f"already (a kept run); choose another run id or drop it")
    assert errors[1] == (f"window 1: its worker {host} stopped answering while running it (its database "
                         f"{database_name_for(long.run_id)} may be left on that worker's PostgreSQL server)")
    assert waited < 15, "reported within a few checks, not after the window's hours"
