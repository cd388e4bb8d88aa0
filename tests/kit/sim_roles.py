"""Run the bot's real processes (`ws-public`, `ws-private`, `reconcile`…) against a test simulator
(tests/kit/sim.py): the environment they need and a `with` block that always stops them.

    with running_sim(...) as sim, role("ws-private", sim_env(sim, tmp_path, db_url, redis_url, ns)) as proc:
        proc.wait_for(connected("private"))
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from tests.kit.sim import RunningSim


def sim_env(sim: RunningSim, tmp_path: Path, db_url: str, redis_url: str, namespace: str, **extra: str) -> dict[str, str]:
    """Settings for a process on this simulator: no OKX keys (simulator mode on SIM_PORT), the
    simulator's credentials file in VAR_DIR (as `trading-bot sim` writes it), the test's DB and Redis."""
    var = tmp_path / "var"
    creds = var / "sim" / "credentials.json"
    creds.parent.mkdir(parents=True, exist_ok=True)
    creds.write_text(json.dumps({"api_key": sim.api_key, "secret_key": sim.secret_key,
                                 "passphrase": sim.passphrase}))
    return clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, VAR_DIR=str(var),
                     SIM_PORT=str(sim.server.port), INSTRUMENTS="BTC-USDT-SWAP", LOG_FORMAT="json", **extra)


@contextmanager
def role(name: str, env: dict[str, str]) -> Iterator[Proc]:
    """`python -m trading_bot NAME` as a real process; stopped (SIGTERM, then SIGKILL) on exit."""
    proc = Proc(python_module("trading_bot", name), env, name=name)
    try:
        yield proc
    finally:
        proc.stop()


def records(output: str, event: str) -> list[dict]:
    """The JSON log records of `event` in a process's output, in order."""
    pattern = re.compile(rf'"event":\s*"{re.escape(event)}"')
    found = []
    for line in output.splitlines():
        if not pattern.search(line):
            continue
        try:
            found.append(json.loads(line[line.index("{"):]))
        except ValueError:
            continue
    return found


def count(event: str, **fields: str) -> Callable[[str], int]:
    """How many JSON log lines of `event` (with these field values) a process output holds."""

    def counter(output: str) -> int:
        return sum(1 for record in records(output, event) if all(str(record.get(k)) == v for k, v in fields.items()))

    return counter


def connected(ws: str, times: int = 1) -> Callable[[str], bool]:
    """Predicate for `Proc.wait_for`: the named WebSocket has connected (and subscribed) `times` times."""
    counter = count("ws_connected", ws=ws)
    return lambda output: counter(output) >= times
