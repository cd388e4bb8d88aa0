"""`trading-bot demo` (`make demo`): the whole bot — simulator, beat, the three workers, both
WebSocket consumers, the rules brain — in fast-forward on a settings set of its own, narrating
every cycle, until a trade has opened and closed, been reviewed and changed the playbook (or the
time is up); then the HTML report.

The demo must not touch a real setup: it reads no `.env`, drops every setting variable of the
shell (OKX, Claude, Telegram keys: the demo always trades the simulator with the offline brain),
and keeps its embedded PostgreSQL and Redis under its own directory and ports, so a `make run`
beside it is undisturbed. `--database-url`/`--redis-url` point it at servers of your own instead
(the test does)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from trading_bot.cli.common import console, fail

if TYPE_CHECKING:
    from trading_bot.config import Settings

# the real BTC-USDT-SWAP history beside a clone (../shared/data), else the synthetic market
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
SHARED_FILES = ("okx_BTC-USDT-SWAP_15m_20230101-20260418.feather",
                "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.feather")
SHARED_START = "2025-10-20T00:00:00Z"  # inside the funding file, with months of history before it
ROLES = ("sim", "beat", "worker-market", "worker-brain", "worker-trade", "ws-public", "ws-private")
# market seconds per wall second and between cycles: a cycle every wall second, a market day in 5 minutes
SPEED, CYCLE_SECONDS = 300, 300
MARKER = ".trading-bot-demo"  # names a directory the demo made (and may wipe)


def demo_settings(var_dir: Path, database_url: str | None, redis_url: str | None, namespace: str, sim_port: int,
                  data: list[Path]) -> dict[str, str]:
    env = {"VAR_DIR": str(var_dir), "BRAIN_MODE": "rules", "INSTRUMENTS": "BTC-USDT-SWAP",
           "SIM_SPEED": str(SPEED), "CYCLE_SECONDS": str(CYCLE_SECONDS), "SIM_EQUITY": "10000",
           "DEEP_REFLECTION_EVERY_TRADES": "1", "EMBEDDED_PG_PORT": "54339", "EMBEDDED_REDIS_PORT": "63809",
           "SIM_PORT": str(sim_port), "LOG_LEVEL": "INFO", "REDIS_NAMESPACE": namespace}
    if data:
        env |= {"SIM_DATA": ",".join(str(p) for p in data), "SIM_START": SHARED_START}
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _isolate(env: dict[str, str]) -> None:
    """This process and every role it starts see the demo's settings only."""
    from trading_bot.config import Settings, get_settings

    for name in Settings.model_fields:
        os.environ.pop(name.upper(), None)
    os.environ.update(env)
    os.environ["TRADING_BOT_ENV_FILE"] = ""
    get_settings.cache_clear()


def demo_command(
    seconds: float = typer.Option(300.0, "--seconds", envvar="DEMO_SECONDS", min=10,
                                  help="Wall seconds before the demo gives up on the whole loop (env DEMO_SECONDS)."),
    var_dir: Path = typer.Option(Path("var/demo"), "--var-dir", help="Where the demo keeps its services, role "
                                                                      "logs and report (wiped at the start)."),
    synthetic: bool = typer.Option(False, "--synthetic", help="The synthetic market even when ../shared/data is there."),
    database_url: str = typer.Option(None, "--database-url", help="A PostgreSQL of your own instead of the embedded one."),
    redis_url: str = typer.Option(None, "--redis-url", help="A Redis of your own instead of the embedded one."),
    namespace: str = typer.Option("demo", "--redis-namespace", help="Prefix of the demo's Redis keys."),
    sim_port: int = typer.Option(8797, "--sim-port", help="Port of the demo's simulator (127.0.0.1)."),
) -> None:
    """The bot in fast-forward (a cycle per second) on the simulator and the offline rules brain,
    one line per cycle, until a trade opened and closed, was reviewed and a deep reflection wrote a
    new playbook version (one to two minutes); then report.html. Exit 1 if that did not happen in
    --seconds. Reads no .env and no keys: it never trades a real account."""
    import shutil

    data = [] if synthetic else [SHARED_DATA / name for name in SHARED_FILES]
    if data and not all(path.exists() for path in data):
        data = []
    marker = var_dir / MARKER
    if var_dir.exists() and any(var_dir.iterdir()) and not marker.exists():
        raise fail(f"--var-dir {var_dir} holds files of something else than a demo; name an empty or new directory")
    if var_dir.exists():
        shutil.rmtree(var_dir)  # the last demo's: every demo starts from a fresh database and market
    var_dir.mkdir(parents=True)
    marker.touch()
    _isolate(demo_settings(var_dir.resolve(), database_url, redis_url, namespace, sim_port, data))
    from trading_bot.cli.common import bootstrap
    settings = bootstrap()
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the roles' own logs go to roles.log
    market = f"real BTC-USDT-SWAP 15m candles from {SHARED_START[:10]}" if data else "the synthetic market"
    console.print(f"demo: {market}, a {CYCLE_SECONDS // 60}-minute cycle every {CYCLE_SECONDS / SPEED:.0f} s of "
                  f"wall time, rules brain; role logs in {var_dir / 'roles.log'}", markup=False)
    from trading_bot.cli.common import start_embedded

    handles = start_embedded(settings)
    try:
        complete = _run(settings, seconds, var_dir)
        _report(settings, var_dir)
    finally:
        handles.stop_started()
    if not complete:
        raise typer.Exit(1)


def _run(settings: Settings, seconds: float, var_dir: Path) -> bool:
    """Every role until the loop is complete or `seconds` passed, narrating; True when complete."""
    from trading_bot.cli.demo_story import Progress, new_lines
    from trading_bot.cli.run_cmd import build_specs, prepare_simulator
    from trading_bot.services.supervisor import Supervisor
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database

    urls = {}
    if settings.embedded_database:
        urls["DATABASE_URL"] = settings.database_dsn().replace("+psycopg", "")
    if settings.embedded_redis:
        urls["REDIS_URL"] = settings.redis_dsn()
    migrate.upgrade(settings.database_dsn())
    prepare_simulator(settings)
    db = Database.from_settings(settings)
    progress = Progress()
    started = time.monotonic()
    with (var_dir / "roles.log").open("w") as log:
        supervisor = Supervisor(build_specs(settings, urls, list(ROLES)), out=log)
        try:
            supervisor.start()
            while time.monotonic() - started < seconds and not progress.complete:
                if supervisor.all_down:
                    raise fail(f"every role stopped; see {var_dir / 'roles.log'}")
                _say(new_lines(db, progress))
                time.sleep(0.5)
        finally:
            supervisor.stop()
    _say(new_lines(db, progress))  # what the last cycles journaled while the roles stopped
    summary = (f"{progress.cycles} cycles, {progress.opened} trades opened, {progress.closed} closed, "
               f"{progress.reviews} reviews, {progress.playbook_versions} playbook versions in "
               f"{time.monotonic() - started:.0f} s")
    if progress.complete:
        console.print(f"demo: the whole loop ran: {summary}", markup=False)
    else:
        console.print(f"demo: no {', no '.join(progress.missing())} within {seconds:.0f} s: {summary}", markup=False)
    return progress.complete


def _say(lines: list[str]) -> None:
    for line in lines:
        console.print(line, markup=False, highlight=False)


def _report(settings: Settings, var_dir: Path) -> None:
    from trading_bot.backtest.report import NoReportData, generate_report, load_report_data
    from trading_bot.clock import SystemClock
    from trading_bot.storage.db import Database
    from trading_bot.storage.models import LIVE_RUN

    try:
        data = load_report_data(Database.from_settings(settings), LIVE_RUN, None, None, None)
    except NoReportData as exc:
        console.print(f"no report: {exc}", markup=False)
        return
    files = generate_report(data, var_dir / "report", generated_at=SystemClock().now())
    console.print(f"report: {files.html}", markup=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_command)
