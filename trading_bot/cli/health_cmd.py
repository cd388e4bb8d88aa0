"""`trading-bot health ROLE`: exit 0 when the role is alive (docker-compose healthchecks)."""

from __future__ import annotations

import re
import socket

import typer

from trading_bot.cli.common import bootstrap, console
from trading_bot.config import Settings
from trading_bot.services.roles import ROLES, role


def _worker_alive(settings: Settings, command: str) -> tuple[bool, str]:
    from trading_bot.celery_app import configure

    match = re.search(r"-n (\S+?)@%h", command)
    name = f"{match.group(1) if match else 'celery'}@{socket.gethostname()}"
    replies = configure(settings).control.ping(destination=[name], timeout=5.0)
    return bool(replies), f"{name} {'answered ping' if replies else 'did not answer ping'}"


def _process_alive(*words: str) -> tuple[bool, str]:
    import psutil

    for proc in psutil.process_iter(["cmdline"]):
        cmdline = " ".join(proc.info.get("cmdline") or [])
        if all(word in cmdline for word in words) and "health" not in cmdline:
            return True, f"process {proc.pid} running"
    return False, f"no process running {' '.join(words)}"


def _flower_alive(settings: Settings) -> tuple[bool, str]:
    import httpx

    try:
        response = httpx.get(f"http://127.0.0.1:{settings.flower_port}/healthcheck", timeout=5)
    except httpx.HTTPError as exc:
        return False, f"flower unreachable: {type(exc).__name__}"
    return response.text.strip() == "OK", f"flower /healthcheck answered {response.status_code}"


def _heartbeat_alive(settings: Settings, name: str) -> tuple[bool, str]:
    from trading_bot.services.heartbeat import HEARTBEAT_TTL_SECONDS, age_seconds
    from trading_bot.storage.redis_client import get_redis
    from trading_bot.storage.streams import Keys

    age = age_seconds(get_redis(settings), Keys(settings.redis_namespace), name)
    if age is None:
        return False, f"no heartbeat from {name} in the last {HEARTBEAT_TTL_SECONDS}s"
    return True, f"heartbeat {age:.0f}s ago"


def _sim_alive(settings: Settings) -> tuple[bool, str]:
    import httpx

    try:
        response = httpx.get(f"http://127.0.0.1:{settings.sim_port}/api/v5/public/time", timeout=5)
    except httpx.HTTPError as exc:
        return False, f"simulator unreachable: {type(exc).__name__}"
    return response.status_code == 200, f"simulator /public/time answered {response.status_code}"


def check_role(settings: Settings, name: str) -> tuple[bool, str]:
    item = role(name)
    if name == "sim":
        return _sim_alive(settings)
    if name.startswith("worker-"):
        return _worker_alive(settings, item.command)
    if name == "beat":
        return _process_alive("celery", "beat")
    if name == "flower":
        return _flower_alive(settings)
    return _heartbeat_alive(settings, name)


def register(app: typer.Typer) -> None:
    @app.command("health")
    def health(name: str = typer.Argument(..., help=f"One of: {', '.join(r.name for r in ROLES)}.")) -> None:
        """Exit 0 if the role is alive, 1 otherwise (used by docker-compose healthchecks)."""
        settings = bootstrap()
        try:
            alive, detail = check_role(settings, name)
        except KeyError:
            raise typer.BadParameter(f"unknown role {name!r}") from None
        console.print(f"{'OK' if alive else 'FAIL'} {name}: {detail}", markup=False)
        raise typer.Exit(0 if alive else 1)
