"""Telegram fixtures: the real bot (PTB Application polling over real HTTP) against a loopback fake
Bot API, a real PostgreSQL holding the seeded trading history, a real Redis namespace.

Read-only command tests share one copy of the seeded database, one Redis namespace and one running
bot per module (copying and dropping a seeded database costs seconds); tests that write get their
own through the function-scoped fixtures of tests/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import SeededDatabase
from tests.kit import services
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.seed import StandardSeed
from tests.kit.telegram_bot import RunningBot
from trading_bot.clock import ManualClock
from trading_bot.config import Settings, load_settings
from trading_bot.storage.db import dispose_engines
from trading_bot.storage.redis_client import redis_for
from trading_bot.telegram.deps import BotDeps, build_deps

CHAT = 4242  # an allowed private chat of a user who is not an admin
ADMIN = 100200300  # an admin; their private chat is allowed too
GROUP = -100777  # an allowed group chat
STRANGER = 666
ADMIN_ONLY_PRIVATE = 555  # an admin whose private chat is NOT in TELEGRAM_CHAT_IDS


def telegram_settings(fake: FakeTelegram, db_url: str, redis_url: str, namespace: str, var_dir: Path,
                      **extra: object) -> Settings:
    return load_settings(database_url=db_url, redis_url=redis_url, redis_namespace=namespace, var_dir=var_dir,
                         telegram_bot_token=fake.token, telegram_base_url=fake.base_url,
                         telegram_chat_ids=[CHAT, ADMIN, GROUP], telegram_admin_ids=[ADMIN, ADMIN_ONLY_PRIVATE],
                         **extra)


def after_seed(seed: StandardSeed) -> ManualClock:
    """Ten minutes after the seeded history ends (its last cycle left a position open)."""
    return ManualClock(seed.live.end + timedelta(minutes=10))


@pytest.fixture(scope="module")
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture(scope="module")
def shared_seeded(pg_admin_url: str, seeded_template: tuple[str, StandardSeed]) -> Iterator[SeededDatabase]:
    """One copy of the seeded history for a module of read-only tests."""
    template, seed = seeded_template
    name = services.create_database(pg_admin_url, prefix="tb_tgseed", template=template)
    yield SeededDatabase(services.database_url(pg_admin_url, name), seed)
    dispose_engines()
    services.drop_database(pg_admin_url, name)


@pytest.fixture(scope="module")
def module_namespace(redis_url: str) -> Iterator[str]:
    ns = f"tbt{uuid.uuid4().hex[:10]}"
    yield ns
    client = redis_for(redis_url)
    for key in client.scan_iter(match=f"{ns}:*", count=1000):
        client.delete(key)


@pytest.fixture(scope="module")
def seeded_deps(fake_telegram: FakeTelegram, shared_seeded: SeededDatabase, redis_url: str, module_namespace: str,
                tmp_path_factory: pytest.TempPathFactory) -> BotDeps:
    settings = telegram_settings(fake_telegram, shared_seeded.url, redis_url, module_namespace,
                                 tmp_path_factory.mktemp("var"))
    return build_deps(settings, after_seed(shared_seeded.seed))


@pytest.fixture(scope="module")
def seeded_bot(seeded_deps: BotDeps) -> Iterator[RunningBot]:
    with RunningBot(seeded_deps) as running:
        yield running
    assert running.error is None, running.error
