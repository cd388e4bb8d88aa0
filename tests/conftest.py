"""Fixtures every test area shares: real PostgreSQL and Redis, isolated per test; ../shared."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest

os.environ["TRADING_BOT_ENV_FILE"] = ""  # never read a developer's .env during tests

# Hypothesis profiles, chosen by HYPOTHESIS_PROFILE: `dev` (the default) has Hypothesis's defaults
# (100 examples); `ci` (.ci/run) a fifth of the examples, so the unit suite stays fast, and no
# deadline (CI shares its cores). A test that runs more asks for a multiple of the profile's count.
hypothesis.settings.register_profile("dev")
hypothesis.settings.register_profile("ci", max_examples=20, deadline=None)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

from tests.kit import services  # noqa: E402
from tests.kit.seed import StandardSeed, seed_standard  # noqa: E402
from trading_bot.config import Settings, get_settings, load_settings  # noqa: E402
from trading_bot.storage import migrate  # noqa: E402
from trading_bot.storage.db import Database, dispose_engines, engine_for  # noqa: E402
from trading_bot.storage.redis_client import redis_for  # noqa: E402
from trading_bot.storage.streams import Keys  # noqa: E402

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:  # with `-n 2 --dist loadgroup` (make test): the fault suite beside the rest, each serial
        item.add_marker(pytest.mark.xdist_group("faults" if "faults" in item.keywords else "serial"))
    if SHARED_DIR.is_dir():
        return
    skip = pytest.mark.skip(reason=f"{SHARED_DIR} is absent (recorded OKX responses and real candle files); "
                                   "CI always provides it")
    for item in items:
        if "shared" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():
        pytest.skip(f"{SHARED_DIR} is absent")
    return SHARED_DIR


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    with services.postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def migrated_template(pg_admin_url: str) -> Iterator[str]:
    """A database migrated to head once per session; tests get copies of it."""
    name = services.create_database(pg_admin_url, prefix="tb_tpl")
    url = services.database_url(pg_admin_url, name)
    with services.server_lock(pg_admin_url, "migrate"):  # (xdist workers: the grafana role is cluster-wide)
        migrate.upgrade(url.replace("postgresql://", "postgresql+psycopg://"))
    dispose_engines()
    yield name
    services.drop_database(pg_admin_url, name)


@pytest.fixture
def db_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    """A fresh, migrated database for one test (plain postgresql:// URL)."""
    name = services.create_database(pg_admin_url, template=migrated_template)
    yield services.database_url(pg_admin_url, name)
    dispose_engines()
    services.drop_database(pg_admin_url, name)


@dataclass(frozen=True)
class SeededDatabase:
    """A migrated database holding `tests/kit/seed.py`'s standard history, and what the seed knows."""

    url: str  # plain postgresql:// URL (as `db_url`)
    seed: StandardSeed


@pytest.fixture(scope="session")
def seeded_template(pg_admin_url: str, migrated_template: str) -> Iterator[tuple[str, StandardSeed]]:
    """The standard seeded history, written once per session; tests get copies of it."""
    name = services.create_database(pg_admin_url, prefix="tb_seedtpl", template=migrated_template)
    url = services.database_url(pg_admin_url, name)
    seeded = seed_standard(Database(engine_for(url.replace("postgresql://", "postgresql+psycopg://"))))
    dispose_engines()
    yield name, seeded
    services.drop_database(pg_admin_url, name)


@pytest.fixture
def seeded_db(pg_admin_url: str, seeded_template: tuple[str, StandardSeed]) -> Iterator[SeededDatabase]:
    """A fresh copy of the seeded history for one test (it may write to it)."""
    template, seeded = seeded_template
    name = services.create_database(pg_admin_url, prefix="tb_seeded", template=template)
    yield SeededDatabase(services.database_url(pg_admin_url, name), seeded)
    dispose_engines()
    services.drop_database(pg_admin_url, name)


@pytest.fixture
def empty_db_url(pg_admin_url: str) -> Iterator[str]:
    name = services.create_database(pg_admin_url, prefix="tb_empty")
    yield services.database_url(pg_admin_url, name)
    dispose_engines()
    services.drop_database(pg_admin_url, name)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with services.redis_server() as url:
        yield url


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A Redis key namespace of this test alone; its keys are deleted afterwards."""
    ns = f"tbt{uuid.uuid4().hex[:10]}"
    yield ns
    client = redis_for(redis_url)
    for key in client.scan_iter(match=f"{ns}:*", count=1000):
        client.delete(key)


@pytest.fixture
def settings(db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> Settings:
    return load_settings(database_url=db_url, redis_url=redis_url, redis_namespace=namespace,
                         var_dir=tmp_path / "var")


@pytest.fixture
def database(settings: Settings) -> Database:
    return Database.from_settings(settings)


@pytest.fixture
def redis_client(redis_url: str):  # noqa: ANN201
    return redis_for(redis_url)


@pytest.fixture
def keys(namespace: str) -> Keys:
    return Keys(namespace)


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port on 127.0.0.1 that another program listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _fresh_settings_cache() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
