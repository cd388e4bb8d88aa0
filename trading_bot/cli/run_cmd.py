"""`trading-bot run`: every role under one supervisor, plus the embedded services when needed."""

from __future__ import annotations

import os
import secrets
import signal
from functools import partial

import typer

from trading_bot.cli.common import bootstrap, console, start_embedded
from trading_bot.config import CONFIG_EXIT_CODE, Settings
from trading_bot.exchange.okx.endpoints import resolve_endpoints
from trading_bot.exchange.sim import credentials as sim_credentials
from trading_bot.services import ports
from trading_bot.services.roles import ROLES
from trading_bot.services.supervisor import ProcessSpec, Supervisor, resolve_command


def flower_basic_auth(settings: Settings) -> str:
    """Flower never runs without auth: use FLOWER_BASIC_AUTH or a generated one kept under VAR_DIR."""
    if settings.flower_basic_auth is not None:
        return settings.flower_basic_auth.get_secret_value()
    path = settings.var_dir / "flower-basic-auth"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"admin:{secrets.token_urlsafe(18)}")
        path.chmod(0o600)
    console.print(f"Flower on http://127.0.0.1:{settings.flower_port} — user and password are in {path}")
    return path.read_text().strip()


FLOWER_MAX_TASKS = 3000


def role_env(settings: Settings, embedded_urls: dict[str, str]) -> dict[str, str]:
    env = dict(embedded_urls)
    env["FLOWER_BASIC_AUTH"] = flower_basic_auth(settings)
    env["FLOWER_PORT"] = str(settings.flower_port)
    env["FLOWER_ADDRESS"] = ports.HOST  # loopback only, where its port is checked before each start
    # Flower keeps this many tasks in memory; its own default, 100,000, grows it by hundreds of MB
    env.setdefault("FLOWER_MAX_TASKS", os.environ.get("FLOWER_MAX_TASKS", str(FLOWER_MAX_TASKS)))
    prepare_simulator(settings)
    return env


def prepare_simulator(settings: Settings) -> None:
    """Without OKX keys every role talks to the embedded simulator. Its credentials are made (or
    written from SIM_API_*) here, before any role starts; each role stays in simulator mode (no
    OKX_* keys handed down) and reads them from that file, so every role also keeps the venue's
    clock and SIM_SPEED."""
    if not settings.uses_simulator:
        return
    _, path = sim_credentials.load_or_create(settings)
    endpoints = resolve_endpoints(settings)
    where = f"in {path}" if path else "from SIM_API_KEY/SIM_API_SECRET/SIM_PASSPHRASE"
    console.print(f"no OKX keys: trading on the local simulator at {endpoints.rest_url} (credentials {where})")


def build_specs(settings: Settings, env: dict[str, str], only: list[str] | None) -> list[ProcessSpec]:
    specs = []
    for item in sorted(ROLES, key=lambda r: not r.embedded_only):  # the simulator first: the others need it
        if (only and item.name not in only) or not item.wanted(settings):
            continue
        specs.append(ProcessSpec(item.name, resolve_command(item.command), env=env,
                                 preflight=partial(item.problem, settings)))
    return specs


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run(
        only: list[str] = typer.Option(None, "--only", help="Start only these roles (repeatable)."),
        grace: float = typer.Option(6.0, help="Seconds each role gets to stop before it is killed."),
    ) -> None:
        """Start every role (beat, workers, consumers, flower…) and, on embedded defaults, PostgreSQL,
        Redis and the simulator. Ctrl-C (SIGINT) or SIGTERM stops everything it started. A role that
        cannot work (a setting it needs, its port taken, exit code 2) is reported once and not
        restarted; the others run on. Exit code 2 when no role is left running."""
        from trading_bot.storage import migrate

        settings = bootstrap()
        handles = start_embedded(settings)
        for name in handles.started:
            console.print(f"started embedded {name}")
        urls: dict[str, str] = {}
        if settings.embedded_database:
            urls["DATABASE_URL"] = settings.database_dsn().replace("+psycopg", "")
        if settings.embedded_redis:
            urls["REDIS_URL"] = settings.redis_dsn()
        supervisor: Supervisor | None = None
        try:
            migrate.upgrade(settings.database_dsn())
            console.print(f"database schema at {migrate.current_revision(settings.database_dsn())}")
            supervisor = Supervisor(build_specs(settings, role_env(settings, urls), only), grace_seconds=grace)
            _stop_on_signals(supervisor)
            supervisor.start()
            supervisor.run_until_stopped()
        finally:
            if supervisor is not None:
                supervisor.stop()
            handles.stop_started()
            for name in handles.started:
                console.print(f"stopped embedded {name}")
        if supervisor is not None and supervisor.all_down:
            raise typer.Exit(CONFIG_EXIT_CODE)


def _stop_on_signals(supervisor: Supervisor) -> None:
    def handler(signum: int, _frame: object) -> None:
        if not supervisor.stopping:
            console.print(f"received {signal.Signals(signum).name}, stopping…")
        supervisor.request_stop()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)



