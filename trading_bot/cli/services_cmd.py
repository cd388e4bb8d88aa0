"""`trading-bot services start|stop|status`: the embedded PostgreSQL and Redis."""

from __future__ import annotations

import typer

from trading_bot.cli.common import bootstrap, console, fail
from trading_bot.config import Settings
from trading_bot.services.embedded import EmbeddedPostgres, EmbeddedRedis, EmbeddedServiceError


def _services(settings: Settings) -> list[EmbeddedPostgres | EmbeddedRedis]:
    return [
        EmbeddedPostgres(settings.var_dir, settings.embedded_pg_port),
        EmbeddedRedis(settings.var_dir, settings.embedded_redis_port),
    ]


def register(app: typer.Typer) -> None:
    services = typer.Typer(help="Embedded PostgreSQL and Redis (used when DATABASE_URL/REDIS_URL are unset).",
                           no_args_is_help=True)
    app.add_typer(services, name="services")

    @services.command("start")
    def start() -> None:
        """Start the embedded services in the background (data under VAR_DIR)."""
        settings = bootstrap()
        for service in _services(settings):
            try:
                started = service.start()
            except EmbeddedServiceError as exc:
                raise fail(str(exc)) from None
            status = service.status()
            console.print(f"{status.name}: {'started' if started else 'already running'} at {status.url}")

    @services.command("stop")
    def stop() -> None:
        """Stop the embedded services (their data stays)."""
        settings = bootstrap()
        for service in _services(settings):
            stopped = service.stop()
            console.print(f"{service.status().name}: {'stopped' if stopped else 'was not running'}")

    @services.command("status")
    def status() -> None:
        """Show whether each embedded service runs, its pid and URL."""
        settings = bootstrap()
        for service in _services(settings):
            st = service.status()
            state = f"running (pid {st.pid})" if st.running else "stopped"
            console.print(f"{st.name:<8} {state:<22} {st.url}  {st.detail}")
