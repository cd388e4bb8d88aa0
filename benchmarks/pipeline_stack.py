"""What the pipeline benchmarks share: a migrated database and a Redis namespace, the real role
processes (tests/kit/stack.py) on a synthetic simulator at speed 1 (venue time = wall time), and a
fake Anthropic API in this process that always decides a long entry at the current price with a
1 % stop and a 4 % target (tests/kit/fake_trader.py), after `analysis_delay` seconds (the screener
always passes).
"""

from __future__ import annotations

import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from tempfile import TemporaryDirectory

from tests.kit.fake_anthropic import FakeAnthropic
from tests.kit.fake_trader import FakeTrader
from tests.kit.stack import Stack, running_stack


@contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database of its own on the machine's (or an embedded) PostgreSQL, dropped afterwards."""
    from tests.kit import services
    from trading_bot.storage import migrate
    from trading_bot.storage.db import dispose_engines

    with services.postgres_server() as admin:
        name = services.create_database(admin, prefix="tb_bench")
        url = services.database_url(admin, name)
        try:
            migrate.upgrade(url.replace("postgresql://", "postgresql+psycopg://"))
            yield url
        finally:
            dispose_engines()
            services.drop_database(admin, name)


@contextmanager
def pipeline_stack(analysis_delay: float = 0.0, **env: str) -> Iterator[tuple[Stack, FakeAnthropic]]:
    """Database, Redis namespace, fake Anthropic and an (empty) stack; the caller starts the roles."""
    from tests.kit import services
    from trading_bot.storage.redis_client import redis_for

    with fresh_database() as url, services.redis_server() as redis_url, \
            TemporaryDirectory(prefix="tb-bench-") as tmp, FakeAnthropic() as fake:
        namespace = f"bench{uuid.uuid4().hex[:8]}"
        try:
            with running_stack(url, redis_url, namespace, Path(tmp), BRAIN_MODE="claude",
                               ANTHROPIC_API_KEY=fake.api_key, ANTHROPIC_BASE_URL=fake.base_url,
                               LOG_FORMAT="json", **env) as stack:
                fake.responder = FakeTrader(stack.sim_url, analysis_delay, hold_when_open=False)
                yield stack, fake
        finally:
            client = redis_for(redis_url)
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                client.delete(key)


PIPELINE_ROLES = ("ws-public", "worker-market", "worker-brain", "worker-trade")  # what a cycle crosses


def start_roles(stack: Stack, roles: tuple[str, ...] = PIPELINE_ROLES) -> None:
    """The simulator, then `roles` started together and awaited (ws-public: its first connection)."""
    stack.start_sim()
    for name in roles:
        stack.start_role(name, wait=False)
    for name in roles:
        stack.procs[name].wait_for("ws_connected" if name == "ws-public" else "ready.", timeout=180)


def wait_for_market(stack: Stack, instruments: tuple[str, ...], timeout: float = 180) -> None:
    """Until ws-public has backfilled the 4H bars (200, the last one forming) and a ticker of every instrument."""
    from trading_bot.domain.market import Ticker
    from trading_bot.storage.db import Database
    from trading_bot.storage.market_state import get_latest
    from trading_bot.storage.redis_client import redis_for
    from trading_bot.storage.repos.candles import fetch_closed_ohlcv
    from trading_bot.storage.streams import Keys

    settings = stack.settings
    db, client, keys = Database.from_settings(settings), redis_for(settings.redis_dsn()), Keys(settings.redis_namespace)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(len(fetch_closed_ohlcv(db, inst, "4H", datetime.now(UTC), 200)) >= 190
               and get_latest(client, keys.ticker(inst), Ticker) is not None for inst in instruments):
            return
        time.sleep(0.5)
    raise RuntimeError(f"ws-public did not store candles and tickers of {instruments} within {timeout:.0f}s")


def errors_of(stack: Stack, ids: list[str] | None = None) -> Counter[str]:
    """The errors of failed cycles, counted (a benchmark says why cycles failed)."""
    from sqlalchemy import select

    from trading_bot.storage.db import Database
    from trading_bot.storage.models import DecisionCycle

    query = select(DecisionCycle.error).where(DecisionCycle.outcome == "error")
    if ids is not None:
        query = query.where(DecisionCycle.id.in_(ids))
    with Database.from_settings(stack.settings).session() as session:
        return Counter(str(error)[:160] for error in session.scalars(query))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> str:
    return (f"p50 {statistics.median(values):7.1f} ms  p90 {percentile(values, 0.9):7.1f} ms  "
            f"p99 {percentile(values, 0.99):7.1f} ms  max {max(values):7.1f} ms")
