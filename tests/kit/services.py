"""Real PostgreSQL and Redis for tests: the machine's servers, or embedded ones when none run.

Order of preference: TEST_DATABASE_URL / DATABASE_URL (a server URL; tests create their own
databases on it), then a server on 127.0.0.1:5432, then an embedded PostgreSQL in a temporary
directory. Redis likewise with TEST_REDIS_URL / REDIS_URL, 127.0.0.1:6379, embedded redis-server.
"""

from __future__ import annotations

import os
import re
import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from trading_bot.services.embedded import EmbeddedPostgres, EmbeddedRedis, port_open


@contextmanager
def server_lock(admin_url: str, name: str) -> Iterator[None]:
    """A PostgreSQL advisory lock held while the block runs: one test process at a time (xdist
    workers migrating their templates at once would alter the cluster-wide grafana role together)."""
    key = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "big") & 0x7FFF_FFFF_FFFF_FFFF
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _plain(url: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


def _replace_db(url: str, name: str) -> str:
    head, sep, tail = url.partition("?")
    scheme, rest = head.split("://", 1)
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/{name}" + (sep + tail if sep else "")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL (database `postgres`) of a server tests may create databases on."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        yield _replace_db(_plain(url), "postgres")
        return
    if port_open(5432):
        yield "postgresql://postgres@127.0.0.1:5432/postgres"
        return
    with tempfile.TemporaryDirectory(prefix="tb-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp), free_port())
        server.root.mkdir(parents=True)
        server.start()
        try:
            yield f"postgresql://postgres@127.0.0.1:{server.port}/postgres"
        finally:
            server.stop()


@contextmanager
def redis_server() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    if port_open(6379):
        yield "redis://127.0.0.1:6379/0"
        return
    with tempfile.TemporaryDirectory(prefix="tb-redis-") as tmp:
        server = EmbeddedRedis(Path(tmp), free_port())
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


def create_database(admin_url: str, prefix: str = "tb_test", template: str | None = None) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if template:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def database_url(admin_url: str, name: str) -> str:
    return _replace_db(admin_url, name)
