"""Servers a fault test may kill and restart: its own Redis and its own PostgreSQL on free ports
under the test's directory (never the machine's shared services)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.kit.services import free_port
from trading_bot.services.embedded import EmbeddedPostgres, EmbeddedRedis, port_open


class OwnRedis:
    """redis-server with an append-only file (every second), like the embedded default."""

    def __init__(self, root: Path) -> None:
        self.server = EmbeddedRedis(root, free_port())

    @property
    def url(self) -> str:
        return self.server.url

    def start(self) -> None:
        self.server.start()

    def kill(self) -> None:
        """SIGKILL: no goodbye to clients, the AOF keeps what it fsynced (up to a second behind)."""
        pid = self.server.status().pid
        assert pid is not None, "own Redis is not running"
        os.kill(pid, signal.SIGKILL)
        _wait_closed(self.server.port)
        self.server.pid_file.unlink(missing_ok=True)

    def wipe(self) -> None:
        """Lose every key: the data directory goes (only while stopped)."""
        assert not port_open(self.server.port)
        shutil.rmtree(self.server.root / "appendonlydir", ignore_errors=True)

    def stop(self) -> None:
        self.server.stop()


class OwnPostgres:
    def __init__(self, root: Path) -> None:
        self.server = EmbeddedPostgres(root, free_port())

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.server.port}/postgres"

    def start(self) -> None:
        self.server.start(timeout=120)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.server.port}/{name}"

    def stop(self, mode: str = "fast") -> None:
        """`immediate` aborts every backend as a crash would; `fast` rolls open transactions back."""
        server = self.server
        done = subprocess.run([str(server.bin_dir() / "pg_ctl"), "-D", str(server.data), "-m", mode, "-w", "stop"],
                              capture_output=True, text=True, check=False, **server._run_as())
        if done.returncode != 0:
            raise AssertionError(f"pg_ctl stop -m {mode}: {done.stdout} {done.stderr}")
        _wait_closed(server.port)


def _wait_closed(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while port_open(port):
        if time.monotonic() > deadline:
            raise AssertionError(f"port {port} still open {timeout:.0f} s after the server was stopped")
        time.sleep(0.05)


@contextmanager
def own_redis(root: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(root)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    """Its data lives outside pytest's temporary root: as root, PostgreSQL runs as its own OS user,
    which may not enter pytest's private directories."""
    with tempfile.TemporaryDirectory(prefix="tb-faults-pg-") as root:
        pg = OwnPostgres(Path(root))
        pg.start()
        try:
            yield pg
        finally:
            pg.stop("immediate")
