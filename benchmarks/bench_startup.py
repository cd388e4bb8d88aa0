"""Start times of the command line: `trading-bot --help`, `trading-bot status` and a few subcommands'
`--help`, each run `BENCH_STARTUP_RUNS` times (default 10) as a real subprocess of the venv's
console script. Prints median and max wall ms per command (goal ≤ 1000 ms). `status` reads a
throwaway migrated database holding the seeded 35-day history (tests/kit/seed.py) and a Redis
namespace of its own, both removed afterwards.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

GOAL_MS = 1000.0
COMMANDS = (("--help",), ("status",), ("status", "--help"), ("backtest", "--help"), ("data", "import", "--help"),
            ("cycle", "--help"))


def _wall_ms(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def _measure(env: dict[str, str], runs: int) -> None:
    script = str(Path(sys.executable).with_name("trading-bot"))
    print(f"{runs} runs each of {script}; load average {os.getloadavg()[0]:.2f} before")
    for args in COMMANDS:
        times = [_wall_ms([script, *args], env) for _ in range(runs)]
        median = statistics.median(times)
        verdict = "met" if median <= GOAL_MS else "NOT met"
        print(f"trading-bot {' '.join(args):<22} median {median:7.1f} ms, max {max(times):7.1f} ms "
              f"(goal ≤ {GOAL_MS:.0f} ms: {verdict})", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} after")


def main() -> None:
    from tests.kit import services
    from tests.kit.cli import clean_env
    from tests.kit.seed import seed_standard
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database, dispose_engines, engine_for
    from trading_bot.storage.redis_client import redis_for

    runs = int(os.environ.get("BENCH_STARTUP_RUNS", "10"))
    with services.postgres_server() as admin, services.redis_server() as redis_url, TemporaryDirectory() as tmp:
        name = services.create_database(admin, prefix="tb_bench")
        namespace = f"tbbench{uuid.uuid4().hex[:8]}"
        try:
            url = services.database_url(admin, name).replace("postgresql://", "postgresql+psycopg://")
            migrate.upgrade(url)
            seed_standard(Database(engine_for(url)))
            dispose_engines()
            env = clean_env(DATABASE_URL=url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, VAR_DIR=tmp)
            _measure(env, runs)
        finally:
            dispose_engines()
            services.drop_database(admin, name)
            client = redis_for(redis_url)
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                client.delete(key)
