"""Real role processes for a test or benchmark: the simulator (`trading-bot sim` on a free port with
its own VAR_DIR), Celery workers and beat started with the commands of services/roles.py, all on
the test's PostgreSQL database and Redis namespace. Every process is killed when the block ends.

    with running_stack(db_url, redis_url, namespace, tmp_path, CYCLE_SECONDS="5") as stack:
        stack.start_sim()                          # synthetic market at speed 1: venue time = wall time
        stack.start_role("worker-trade")           # waits for "ready."
        stack.sim_control("faults", delay_orders_ms=5000)
        stack.settings                             # the same Settings in this process (live_ports, app)
        stack.procs["worker-trade"].signal(signal.SIGKILL)
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.kit.cli import clean_env
from tests.kit.processes import Proc
from tests.kit.services import free_port
from trading_bot.config import Settings, load_settings
from trading_bot.services.roles import role

READY = {"beat": "beat: Starting", "sim": "OKX v5 simulator on", "ws-public": "ws_connected",
         "ws-private": "private_caught_up", "flower": "Visit me at", "telegram": "telegram_started"}


class Stack:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.procs: dict[str, Proc] = {}

    @property
    def settings(self) -> Settings:
        names = set(Settings.model_fields)
        return load_settings(**{k.lower(): v for k, v in self.env.items() if k.lower() in names})

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.env['SIM_PORT']}"

    def start(self, key: str, argv: list[str], ready: str | None, timeout: float = 120) -> Proc:
        """Start a process under `key` (a role name, or e.g. `beat-2` for a second one)."""
        if key in self.procs and self.procs[key].popen.poll() is None:
            raise RuntimeError(f"{key} is already running")
        proc = Proc(argv, self.env, name=key)
        self.procs[key] = proc
        if ready:
            proc.wait_for(ready, timeout=timeout)
        return proc

    def start_role(self, name: str, key: str | None = None, wait: bool = True, timeout: float = 120) -> Proc:
        argv = role_argv(name)
        ready = READY.get(name, "ready.") if wait else None
        return self.start(key or name, argv, ready, timeout)

    def start_sim(self, *args: str, lead: float = 0.3) -> Proc:
        """The simulator with a fresh state; without `--data`/`--start` a synthetic market. Its clock
        starts where the market starts, after seconds of building it: it is then moved ahead to the
        wall clock + `lead` (beat ticks fire on wall time, cycles take their slot from venue time)."""
        proc = self.start("sim", [*role_argv("sim"), "--fresh", "--no-rate-limits", *args], READY["sim"], 60)
        behind = -self.venue_offset()
        if behind + lead > 0:
            self.sim_control("advance", seconds=behind + lead)
        return proc

    def venue_offset(self) -> float:
        """Venue clock minus wall clock in seconds (the best of five round trips)."""
        best: tuple[float, float] | None = None
        for _ in range(5):
            before = time.time()
            venue = int(httpx.get(f"{self.sim_url}/api/v5/public/time", timeout=10).json()["data"][0]["ts"]) / 1000
            after = time.time()
            if best is None or after - before < best[0]:
                best = (after - before, venue - (before + after) / 2)
        assert best is not None
        return best[1]

    def credentials(self) -> dict[str, str]:
        return json.loads((Path(self.env["VAR_DIR"]) / "sim" / "credentials.json").read_text())

    def okx(self, api_class: type[Any]) -> Any:
        """A python-okx API object (TradeAPI, AccountAPI…) aimed at the simulator."""
        creds = self.credentials()
        return api_class(creds["api_key"], creds["secret_key"], creds["passphrase"], flag="1", domain=self.sim_url)

    def sim_control(self, action: str, **body: Any) -> dict[str, Any]:
        creds = self.credentials()
        headers = {"OK-ACCESS-KEY": creds["api_key"], "OK-ACCESS-PASSPHRASE": creds["passphrase"]}
        answer = httpx.post(f"{self.sim_url}/sim/control/{action}", json=body, headers=headers, timeout=10).json()
        if answer["code"] != "0":
            raise RuntimeError(f"sim control {action}: {answer}")
        return dict(answer["data"][0])

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop(timeout=10)


def role_argv(name: str) -> list[str]:
    """A role's Procfile command with `celery` / `trading-bot` resolved to this interpreter."""
    words = shlex.split(role(name).command)
    head = {"celery": [sys.executable, "-m", "celery"], "trading-bot": [sys.executable, "-m", "trading_bot"]}
    return [*head[words[0]], *words[1:]]


@contextmanager
def running_stack(db_url: str, redis_url: str, namespace: str, work_dir: Path, **env: str) -> Iterator[Stack]:
    """A stack whose processes share one environment: the database, the Redis namespace, a VAR_DIR
    under `work_dir`, a free SIM_PORT, the offline rules brain, plus `env` (upper-case names)."""
    base = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "REDIS_NAMESPACE": namespace,
            "VAR_DIR": str(work_dir / "var"), "SIM_PORT": str(free_port()), "BRAIN_MODE": "rules",
            "LOG_FORMAT": "console"}
    stack = Stack(clean_env(**{**base, **env}))
    try:
        yield stack
    finally:
        stack.stop_all()
