"""The Telegram bot on the seeded 35-day history (tests/kit/seed.py, ~290 trades, 3,360 cycles),
real PTB polling a loopback fake Bot API, real PostgreSQL and Redis. Prints:

- command latency (update pushed → reply received), median and max of 10 runs per command;
- alert latency (XADD → message received in both chats), median and max of 20 single alerts;
- a burst of 150 distinct alerts to two private chats: delivery rate, which PTB's AIORateLimiter
  caps at Telegram's 30 messages/s overall (group chats: 20 messages/minute each);
- the process's peak resident memory.
"""

from __future__ import annotations

import resource
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

RUNS = 10
SINGLE_ALERTS = 20
BURST = 150
CHATS = (1001, 1002)
COMMANDS = ("/status", "/positions", "/trades 50", "/performance week", "/performance all", "/playbook", "/cost",
            "/why 100", "/config")


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms, max {max(values) * 1000:7.1f} ms"


def _commands(fake: object) -> None:
    for command in COMMANDS:
        times = []
        for _ in range(RUNS):
            started = time.perf_counter()
            fake.reply_to(command, CHATS[0], timeout=60)  # type: ignore[attr-defined]
            times.append(time.perf_counter() - started)
        print(f"{command:<18} {_ms(times)}")


def _alerts(fake: object, deps: object) -> None:
    from trading_bot.domain.events import Alert
    from trading_bot.storage.streams import SYSTEM_ALERTS, publish

    def send(kind: str) -> None:
        alert = Alert(severity="INFO", kind=kind, message="benchmark", ts=datetime(2026, 2, 5, tzinfo=UTC))
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert)  # type: ignore[attr-defined]

    def arrived(kind: str, since: int) -> None:
        for chat in CHATS:
            fake.wait_for(lambda s, c=chat: s.chat_id == c and kind in s.plain, since=since, timeout=120)  # type: ignore[attr-defined]

    latencies = []
    for number in range(SINGLE_ALERTS):
        mark, started = len(fake.sent), time.perf_counter()  # type: ignore[attr-defined]
        send(f"single_{number}")
        arrived(f"single_{number}", mark)
        latencies.append(time.perf_counter() - started)
    print(f"single alert       {_ms(latencies)} (to {len(CHATS)} chats)")
    mark, started = len(fake.sent), time.perf_counter()  # type: ignore[attr-defined]
    for number in range(BURST):
        send(f"burst_{number}")
    arrived(f"burst_{BURST - 1}", mark)
    seconds = time.perf_counter() - started
    delivered = len(fake.sent) - mark  # type: ignore[attr-defined]
    print(f"burst of {BURST} alerts: {delivered} messages in {seconds:.1f} s = {delivered / seconds:.1f} messages/s "
          "(AIORateLimiter: at most 30/s)")


def main() -> None:
    from tests.kit import services
    from tests.kit.fake_telegram import FakeTelegram
    from tests.kit.seed import seed_standard
    from tests.kit.telegram_bot import RunningBot
    from trading_bot.clock import ManualClock
    from trading_bot.config import load_settings
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database, dispose_engines, engine_for
    from trading_bot.storage.redis_client import redis_for
    from trading_bot.telegram.deps import build_deps

    with services.postgres_server() as admin, services.redis_server() as redis_url, TemporaryDirectory() as tmp:
        name = services.create_database(admin, prefix="tb_bench")
        namespace = f"tbbench{uuid.uuid4().hex[:8]}"
        try:
            url = services.database_url(admin, name)
            migrate.upgrade(url.replace("postgresql://", "postgresql+psycopg://"))
            started = time.perf_counter()
            seed = seed_standard(Database(engine_for(url.replace("postgresql://", "postgresql+psycopg://"))))
            print(f"seeded {len(seed.live.closed_trades)} closed trades, {seed.live.cycles} cycles, "
                  f"{seed.live.llm_calls} LLM calls in {time.perf_counter() - started:.1f} s")
            with FakeTelegram() as fake:
                settings = load_settings(database_url=url, redis_url=redis_url, redis_namespace=namespace,
                                         var_dir=Path(tmp), telegram_bot_token=fake.token,
                                         telegram_base_url=fake.base_url, telegram_chat_ids=list(CHATS),
                                         telegram_admin_ids=[CHATS[0]])
                deps = build_deps(settings, ManualClock(seed.live.end + timedelta(minutes=10)))
                with RunningBot(deps, poll_timeout=1.0, alert_block_ms=1000):
                    _commands(fake)
                    _alerts(fake, deps)
        finally:
            dispose_engines()
            services.drop_database(admin, name)
            client = redis_for(redis_url)
            for key in client.scan_iter(match=f"{namespace}:*", count=1000):
                client.delete(key)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of the process: {peak_mb:.0f} MB")
