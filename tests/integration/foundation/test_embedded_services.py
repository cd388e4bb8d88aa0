"""The embedded PostgreSQL and Redis start, keep their data across restarts, refuse held ports."""

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.kit.services import free_port
from trading_bot.services.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServiceError


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """Outside pytest's own temp root: pytest resets that to 0700, which the (non-root) postgres
    OS user could then no longer traverse."""
    with tempfile.TemporaryDirectory(prefix="tb-embedded-") as tmp:
        yield Path(tmp)


@pytest.mark.slow
def test_postgres_survives_restart_and_refuses_held_port(pg_dir: Path) -> None:
    tmp_path = pg_dir
    server = EmbeddedPostgres(tmp_path, free_port())
    try:
        assert server.start() is True
        assert server.start() is False  # already running from the same directory: reused
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (v int)")
            conn.execute("INSERT INTO kept VALUES (42)")
        assert server.stop() is True
        assert not server.status().running
        assert server.start() is True
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT v FROM kept").fetchone() == (42,)
        other = EmbeddedPostgres(tmp_path, free_port())
        with pytest.raises(EmbeddedServiceError, match="already served by PostgreSQL"):
            other.start()
    finally:
        server.stop()


def test_postgres_refuses_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(EmbeddedServiceError, match=f"port {port} is in use"):
            EmbeddedPostgres(tmp_path, port).start()


def test_redis_keeps_data_with_aof_and_refuses_held_port(tmp_path: Path) -> None:
    server = EmbeddedRedis(tmp_path, free_port())
    try:
        assert server.start() is True
        client = redis.Redis.from_url(server.url)
        assert client.config_get("appendonly")["appendonly"] == "yes"
        client.set("kept", "yes")
        client.close()
        assert server.stop() is True
        assert server.start() is True
        assert redis.Redis.from_url(server.url).get("kept") == b"yes"
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen()
            with pytest.raises(EmbeddedServiceError, match="is in use"):
                EmbeddedRedis(tmp_path / "other", blocker.getsockname()[1]).start()
    finally:
        server.stop()
    assert (tmp_path / "redis" / "appendonly.aof").exists() or (tmp_path / "redis" / "appendonlydir").exists()
