"""Resident memory of everything `trading-bot run` starts, after it has traded for a while.

On embedded defaults (its own VAR_DIR under a temporary directory: embedded PostgreSQL, embedded
Redis, the simulator replaying the real 15m/1m files in fast-forward when ../shared is there, the
offline brain) it runs `BENCH_RUN_SECONDS` (default 600) and then sums the RSS of the supervisor,
every role and the embedded servers. The sum is of PSS (each shared page split between the processes
that share it, so forked workers are not counted twice); plain RSS is printed beside it. Goal:
≤ 2 GB. Prints the sums, the per-role figures and how many cycles ran.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GOAL_MB = 2048


def _env(var_dir: Path) -> dict[str, str]:
    from tests.kit.cli import clean_env
    from tests.kit.services import free_port

    env = clean_env(VAR_DIR=str(var_dir), EMBEDDED_PG_PORT=str(free_port()), EMBEDDED_REDIS_PORT=str(free_port()),
                    SIM_PORT=str(free_port()), FLOWER_PORT=str(free_port()), SIM_SPEED="60", BRAIN_MODE="rules",
                    LOG_LEVEL="WARNING")
    if SHARED.exists():
        env["SIM_DATA"] = ",".join(str(SHARED / name) for name in (
            "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather", "okx_BTC-USDT-SWAP_1m_20260101-20260116.feather",
            "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather"))
        env["SIM_START"] = "2026-01-05T00:00:00Z"
    return env


def _processes(root: psutil.Process, var_dir: Path) -> list[psutil.Process]:
    found = {root.pid: root}
    for child in root.children(recursive=True):
        found[child.pid] = child
    for proc in psutil.process_iter(["pid", "cmdline"]):  # embedded servers run detached
        if str(var_dir) in " ".join(proc.info.get("cmdline") or []):
            found[proc.pid] = proc
            for child in proc.children(recursive=True):
                found[child.pid] = child
    return list(found.values())


def _label(proc: psutil.Process) -> str:
    line = " ".join(proc.cmdline())
    for role in ("beat", "market@", "brain@", "trade@", "flower", "ws-public", "ws-private", " sim", "postgres",
                 "redis-server", " run"):
        if role in line:
            return role.strip(" @")
    return proc.name()


def main() -> None:
    seconds = float(os.environ.get("BENCH_RUN_SECONDS", "600"))
    parent = Path(tempfile.mkdtemp(prefix="tb-bench-run-"))  # outside /tmp/pytest-*: postgres' OS user reads it
    var_dir = parent / "var"
    env = _env(var_dir)
    run = subprocess.Popen([sys.executable, "-m", "trading_bot", "run"], env=env, cwd=parent,
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if run.poll() is not None:
                raise SystemExit(f"trading-bot run exited with {run.returncode}")
            time.sleep(min(30.0, seconds - (time.monotonic() - started)) if seconds > 1 else 1)
            print(f"  {time.monotonic() - started:5.0f} s", flush=True)
        rss: dict[str, float] = {}
        pss: dict[str, float] = {}
        for proc in _processes(psutil.Process(run.pid), var_dir):
            try:
                memory, label = proc.memory_full_info(), _label(proc)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            rss[label] = rss.get(label, 0.0) + memory.rss / 2**20
            pss[label] = pss.get(label, 0.0) + memory.pss / 2**20
        total = sum(pss.values())
        print(f"after {seconds:.0f} s: {total:,.0f} MB proportional set size over all processes "
              f"(goal ≤ {GOAL_MB} MB: {'met' if total <= GOAL_MB else 'MISSED'}); "
              f"plain RSS summed {sum(rss.values()):,.0f} MB (counts shared pages once per process)")
        for role in sorted(pss, key=lambda name: -pss[name]):
            print(f"  {role:<14} PSS {pss[role]:6.0f} MB   RSS {rss[role]:6.0f} MB")
        print(f"  ran {_cycles(env['EMBEDDED_PG_PORT'])}")
    finally:
        os.killpg(run.pid, signal.SIGINT)
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
        shutil.rmtree(parent, ignore_errors=True)


def _cycles(port: str) -> str:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/trading_bot") as conn:
        total, filled = conn.execute(
            "select count(*), count(*) filter (where outcome = 'filled') from decision_cycles").fetchone()
    return f"{total} cycles, {filled} filled"
