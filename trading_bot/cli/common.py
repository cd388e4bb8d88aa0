"""Helpers shared by CLI commands: settings + logging bootstrap, embedded services, output."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console

from trading_bot.config import Settings, get_settings
from trading_bot.logs import configure_from_settings

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def bootstrap() -> Settings:
    """Load and validate settings (ConfigError → one line, exit 2) and configure logging."""
    settings = get_settings()
    configure_from_settings(settings)
    return settings


def fail(message: str, code: int = 1) -> typer.Exit:
    err_console.print(f"error: {message}", markup=False)  # messages quote exchange paths like [/api/…]
    return typer.Exit(code)


@dataclass
class EmbeddedHandles:
    started: list[str]
    postgres: object | None = None
    redis: object | None = None

    def stop_started(self) -> None:
        for name, service in (("redis", self.redis), ("postgres", self.postgres)):
            if name in self.started and service is not None:
                service.stop()  # type: ignore[attr-defined]


def start_embedded(settings: Settings, postgres: bool = True, redis: bool = True) -> EmbeddedHandles:
    """Start the embedded services the settings call for (unset URLs); report what was started."""
    handles = EmbeddedHandles(started=[])
    if not (postgres and settings.embedded_database) and not (redis and settings.embedded_redis):
        return handles  # without importing the services (psutil)
    from trading_bot.services.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServiceError

    try:
        if postgres and settings.embedded_database:
            pg = EmbeddedPostgres(settings.var_dir, settings.embedded_pg_port)
            handles.postgres = pg
            if pg.start():
                handles.started.append("postgres")
        if redis and settings.embedded_redis:
            rd = EmbeddedRedis(settings.var_dir, settings.embedded_redis_port)
            handles.redis = rd
            if rd.start():
                handles.started.append("redis")
    except EmbeddedServiceError as exc:
        handles.stop_started()
        raise fail(str(exc)) from None
    return handles


@contextmanager
def embedded_for_command(settings: Settings, postgres: bool = True, redis: bool = False) -> Iterator[EmbeddedHandles]:
    """For one-shot commands: start what is missing, stop again only what this command started."""
    handles = start_embedded(settings, postgres=postgres, redis=redis)
    try:
        yield handles
    finally:
        handles.stop_started()


def is_tty() -> bool:
    return sys.stdout.isatty()
