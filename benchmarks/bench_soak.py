"""Soak: `trading-bot run` (every role, under its own supervisor) on the real BTC-USDT-SWAP 15m file
and funding rates in fast-forward, for `BENCH_SOAK_SECONDS` of wall time (default 1,800 s), with the
offline rules brain, on this machine's PostgreSQL (a fresh database) and Redis (a fresh namespace).

At `BENCH_SOAK_SPEED` (default 720: a 15-minute cycle every 1.25 s of wall time) half an hour covers
15 days of market time. After a warm-up and at the end it reads:
per role RSS (the role's process and its children: pool workers), Redis stream lengths and key
count, rows per table; at the end the error lines per role, the cycles per outcome, and the
invariants of tests/kit/invariants.py (with the simulator paused, so nothing is in flight).

The warm-up lasts a tenth of the run (at least 120 s) and until Flower has seen FLOWER_MAX_TASKS
tasks (its /metrics): Flower keeps that many in memory by design, so its RSS grows until the cache
is full; growth measured before that would be the cache filling, not a leak. If the cache is not full
by half the run, the warm-up ends there and the report says so.

Goals: RSS growth ≤ 10 % per role after warm-up, every stream within its cap (MAXLEN ~10,000), 0
invariant breaks.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import psutil
from sqlalchemy import text

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = ("okx_BTC-USDT-SWAP_15m_20230101-20260418.feather", "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather")
START = "2025-10-20T00:00:00Z"  # inside the funding file, with months of 15m history before it
ROLES = ("sim", "beat", "worker-market", "worker-brain", "worker-trade", "ws-public", "ws-private", "flower")
TABLES = ("decision_cycles", "screener_logs", "llm_calls", "orders", "fills", "trades", "positions_history",
          "account_snapshots", "bot_state_events", "candles", "reflection_logs", "playbook_versions",
          "risk_rejections", "performance_snapshots")
# a line logged at error level or above (structlog's console and JSON, Celery's and stdlib's
# formats), not one that merely mentions a level (a market alert of severity CRITICAL is a warning)
ERROR = re.compile(r'\[(?:error|critical) *\]|[:\]] (?:ERROR|CRITICAL)[/:\]]|^(?:ERROR|CRITICAL):'
                   r'|"level": "(?:error|critical)"|^Traceback')
RSS_GOAL = 0.10


def main() -> None:
    if not SHARED.is_dir():
        raise SystemExit(f"the soak replays the real 15m file: {SHARED} is absent")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the roles on the way out, not orphan them
    seconds = float(os.environ.get("BENCH_SOAK_SECONDS", "1800"))
    speed = float(os.environ.get("BENCH_SOAK_SPEED", "720"))
    from benchmarks.pipeline_stack import fresh_database
    from tests.kit.services import redis_server
    from trading_bot.storage.redis_client import redis_for

    namespace = f"soak{uuid.uuid4().hex[:8]}"
    with fresh_database() as db_url, redis_server() as redis_url, tempfile.TemporaryDirectory(prefix="tb-soak-") as tmp:
        try:
            soak(db_url, redis_url, namespace, Path(tmp), seconds, speed)
        finally:
            client = redis_for(redis_url)
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                client.delete(key)


def soak(db_url: str, redis_url: str, namespace: str, work_dir: Path, seconds: float, speed: float) -> None:
    from tests.kit.invariants import Invariants
    from tests.kit.processes import python_module
    from tests.kit.services import free_port
    from tests.kit.stack import running_stack
    from tests.kit.supervised import Supervised
    from trading_bot.storage.db import Database
    from trading_bot.storage.redis_client import redis_for

    env = {"SIM_DATA": ",".join(str(SHARED / name) for name in FILES), "SIM_START": START, "SIM_SPEED": f"{speed:g}",
           "CYCLE_SECONDS": "900", "INSTRUMENTS": "BTC-USDT-SWAP", "FLOWER_PORT": str(free_port()),
           "LOG_LEVEL": "INFO", "LOG_FORMAT": "json"}
    print(f"soak: {seconds:.0f} s of wall time at {speed:g}x ({seconds * speed / 86400:.1f} market days), "
          f"15m cycles, rules brain, from {START}", flush=True)
    with running_stack(db_url, redis_url, namespace, work_dir, **env) as stack:
        proc = stack.start("run", python_module("trading_bot", "run", "--grace", "5"), ready=None)
        run = Supervised(proc, ROLES)
        run.wait_ready(timeout=300)
        db, client = Database.from_settings(stack.settings), redis_for(redis_url)
        began = time.monotonic()
        _sleep_until(began + max(120.0, seconds / 10), run, began, seconds)
        _wait_for_flower_cache(int(env["FLOWER_PORT"]), began + seconds / 2, run, began, seconds)
        warm = Reading.take(run, db, client, namespace, stack)
        _sleep_until(began + seconds, run, began, seconds)
        end = Reading.take(run, db, client, namespace, stack)
        stack.sim_control("speed", speed=0)  # nothing new starts in market time; let what runs finish
        time.sleep(15)
        breaks = Invariants(stack, db, client).all(run.lines())
        report(warm, end, run, db, breaks)


class Reading:
    """What one look at the running bot finds."""

    def __init__(self, at: datetime, rss: dict[str, float], streams: dict[str, int], keys: int,
                 rows: dict[str, int]) -> None:
        self.at, self.rss, self.streams, self.keys, self.rows = at, rss, streams, keys, rows

    @classmethod
    def take(cls, run, db, client, namespace: str, stack) -> Reading:  # noqa: ANN001
        from trading_bot.clock import from_ms
        from trading_bot.storage.streams import ALL_STREAMS, Keys

        keys = Keys(namespace)
        with db.session() as session:
            rows = {table: int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in TABLES}
        return cls(
            at=from_ms(int(stack.sim_control("state")["ts"])),
            rss={role: _rss_mb(run.pid(role)) for role in ROLES},
            streams={name: int(client.xlen(keys.stream(name))) for name in ALL_STREAMS},
            keys=sum(1 for _ in client.scan_iter(match=f"{namespace}:*", count=1000)),
            rows=rows,
        )


def report(warm: Reading, end: Reading, run, db, breaks: list[str]) -> None:  # noqa: ANN001
    from tests.kit.cycle_rows import outcomes
    from trading_bot.storage.streams import STREAM_MAXLEN

    days = (end.at - warm.at).total_seconds() / 86400
    print(f"\nmarket time {warm.at:%Y-%m-%d %H:%M} → {end.at:%Y-%m-%d %H:%M} after warm-up ({days:.2f} days)")
    print("RSS per role (MB, with children)   after warm-up      end   growth")
    grown = []
    for role in ROLES:
        growth = end.rss[role] / warm.rss[role] - 1 if warm.rss[role] else 0.0
        grown += [role] if growth > RSS_GOAL else []
        print(f"  {role:<14} {warm.rss[role]:>24.1f} {end.rss[role]:>8.1f} {growth:>+8.1%}"
              f"   (restarted {run.starts(role) - 1}×)")
    print(f"Redis streams (cap ~{STREAM_MAXLEN:,}):")
    for name in end.streams:
        print(f"  {name:<18} {warm.streams[name]:>7,} → {end.streams[name]:>7,}")
    print(f"Redis keys of the namespace: {warm.keys:,} → {end.keys:,}")
    print("rows per table: after warm-up → end (growth per market day)")
    for table in TABLES:
        per_day = (end.rows[table] - warm.rows[table]) / days if days else 0.0
        print(f"  {table:<22} {warm.rows[table]:>8,} → {end.rows[table]:>8,}  ({per_day:,.1f}/day)")
    errors = Counter((role, _gist(line)) for role in ROLES for line in run.lines(role) if ERROR.search(line))
    print(f"error lines per role: {dict(Counter(role for role, _ in errors.elements())) or 'none'}")
    for (role, gist), count in errors.most_common(8):
        print(f"  {count:>5} × {role}: {gist}")
    print(f"cycles per outcome: {dict(outcomes(db).most_common())}")
    with db.session() as session:
        causes = session.execute(text("SELECT outcome, left(error, 110), count(*) FROM decision_cycles WHERE error "
                                      "IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 8")).all()
    for outcome, cause, count in causes:
        print(f"  {count:>5} × {outcome}: {cause}")
    print(f"invariant breaks: {len(breaks)}")
    for line in breaks[:20]:
        print(f"  {line}")
    over = [name for name, length in end.streams.items() if length > STREAM_MAXLEN * 1.1]
    verdict = "met" if not grown and not over and not breaks else "MISSED"
    print(f"goals {verdict}: RSS growth ≤ {RSS_GOAL:.0%} (over: {grown or 'none'}), streams bounded "
          f"(over: {over or 'none'}), 0 invariant breaks ({len(breaks)})")


def _gist(line: str) -> str:
    """An error line without its times and ids, so repeats count as one."""
    try:
        record = json.loads(line)
        line = f"{record.get('logger')}: {record.get('event')} {record.get('error') or record.get('exception') or ''}"
    except ValueError:
        pass
    return re.sub(r"\b[0-9a-f]{8}-[0-9a-f-]{27}\b|\d{4}-\d\d-\d\d[T ][\d:.,]+Z?|\b\d+\b", "#", line)[:140]


def _rss_mb(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 1024 / 1024


def _wait_for_flower_cache(port: int, deadline: float, run, began: float, seconds: float) -> None:  # noqa: ANN001
    from trading_bot.cli.run_cmd import FLOWER_MAX_TASKS

    seen = _flower_tasks_seen(port)
    while seen < FLOWER_MAX_TASKS and time.monotonic() < deadline:
        _sleep_until(min(deadline, time.monotonic() + 10), run, began, seconds, quiet=True)
        seen = _flower_tasks_seen(port)
    state = "full" if seen >= FLOWER_MAX_TASKS else "NOT full (warm-up cut at half the run)"
    print(f"  {time.monotonic() - began:6.0f} s: Flower has seen {seen:,} tasks; its cache of {FLOWER_MAX_TASKS:,} "
          f"is {state}", flush=True)


def _flower_tasks_seen(port: int) -> int:
    """Tasks Flower has received events for, from its Prometheus counter (no auth needed)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:  # noqa: S310
            body = answer.read().decode()
    except OSError:
        return 0
    return int(sum(float(line.rsplit(" ", 1)[1]) for line in body.splitlines()
                   if line.startswith("flower_events_total{") and 'type="task-received"' in line))


def _sleep_until(deadline: float, run, began: float, seconds: float, quiet: bool = False) -> None:  # noqa: ANN001
    while time.monotonic() < deadline:
        if run.proc.popen.poll() is not None:
            raise SystemExit("trading-bot run exited:\n" + "\n".join(run.lines()[-60:]))
        time.sleep(min(60.0, max(0.0, deadline - time.monotonic())))
        if not quiet:
            print(f"  {time.monotonic() - began:6.0f} s of {seconds:.0f}", flush=True)
