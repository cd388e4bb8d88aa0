"""Start times of the command line, each command run `BENCH_STARTUP_RUNS` times (default 10) as a
real subprocess of the venv's console script, after one run that is not counted: `trading-bot
--help`, `trading-bot status` with the simulator down (its clock falls back to the last market time
in the database) and up (it reads the venue's clock), and a few commands' own `--help`. Prints
median and max wall ms per command (goal ≤ 1000 ms) and the load average around the runs.

`status` reads a throwaway migrated database holding the seeded 35-day history (tests/kit/seed.py)
and a Redis namespace of its own, both removed afterwards. Bytecode is cached in a temporary
PYTHONPYCACHEPREFIX, as in a checkout that has run once; `BENCH_STARTUP_BYTECODE=off` runs with
PYTHONDONTWRITEBYTECODE=1 instead (the sources of a checkout without __pycache__ compiled at every
start).
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
HELPS = (("status", "--help"), ("backtest", "--help"), ("data", "import", "--help"), ("cycle", "--help"))


def _wall_ms(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed


def _measure(label: str, args: tuple[str, ...], env: dict[str, str], runs: int) -> None:
    argv = [str(Path(sys.executable).with_name("trading-bot")), *args]
    _wall_ms(argv, env)  # writes the bytecode cache; the first connection of a new database
    times = [_wall_ms(argv, env) for _ in range(runs)]
    median = statistics.median(times)
    print(f"{label:<40} median {median:7.1f} ms, max {max(times):7.1f} ms "
          f"(goal ≤ {GOAL_MS:.0f} ms: {'met' if median <= GOAL_MS else 'NOT met'})", flush=True)


def _bytecode(env: dict[str, str], tmp: str) -> str:
    if os.environ.get("BENCH_STARTUP_BYTECODE", "cached") == "off":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        return "bytecode not written (PYTHONDONTWRITEBYTECODE=1)"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
    return "bytecode cached"


def main() -> None:
    from tests.kit import services
    from tests.kit.cli import clean_env
    from tests.kit.seed import seed_standard
    from tests.kit.sim import running_sim
    from trading_bot.config import load_settings
    from trading_bot.exchange.sim.credentials import load_or_create
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
            seed = seed_standard(Database(engine_for(url)))
            dispose_engines()
            env = clean_env(DATABASE_URL=url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, VAR_DIR=tmp)
            mode = _bytecode(env, tmp)
            print(f"{runs} runs each (after one not counted), {mode}; load average {os.getloadavg()[0]:.2f}")
            _measure("trading-bot --help", ("--help",), env, runs)
            _measure("trading-bot status (simulator down)", ("status",), env, runs)
            with running_sim(start=seed.live.end) as sim:  # its credentials file, as `trading-bot sim` writes it
                var = Path(tmp) / "sim-up"
                load_or_create(load_settings(var_dir=var, sim_api_key=sim.api_key, sim_api_secret=sim.secret_key,
                                             sim_passphrase=sim.passphrase))
                up = {**env, "VAR_DIR": str(var), "SIM_PORT": str(sim.server.port)}
                _measure("trading-bot status (simulator up)", ("status",), up, runs)
            for args in HELPS:
                _measure(f"trading-bot {' '.join(args)}", args, env, runs)
            print(f"load average {os.getloadavg()[0]:.2f} after")
        finally:
            dispose_engines()
            services.drop_database(admin, name)
            client = redis_for(redis_url)
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                client.delete(key)
