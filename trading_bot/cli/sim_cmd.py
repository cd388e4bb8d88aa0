"""`trading-bot sim`: the local OKX v5 simulator (REST + WebSocket on one port)."""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.live import Live
from rich.table import Table

from trading_bot.cli.common import bootstrap, console, fail
from trading_bot.clock import from_ms, parse_iso
from trading_bot.config import CONFIG_EXIT_CODE, Settings
from trading_bot.services import ports

if TYPE_CHECKING:
    from trading_bot.exchange.sim.runtime import SimSpec
    from trading_bot.exchange.sim.server import SimServer

FAST_FORWARD = 5.0  # above this speed the progress display replaces the log lines


def state_path(settings: Settings) -> Path:
    return settings.var_dir / "sim" / "state.json"


def register(app: typer.Typer) -> None:
    @app.command("sim")
    def sim(
        port: int = typer.Option(None, help="Port on 127.0.0.1 (default SIM_PORT)."),
        data: list[str] = typer.Option(None, "--data", help="Candle or funding file to replay (CSV.gz, Feather, OKX "
                                       "candle JSON; INST=PATH to name the instrument); repeatable. Default SIM_DATA."),
        synthetic: int = typer.Option(None, "--synthetic", help="Seed of a synthetic market (ignores --data)."),
        speed: float = typer.Option(None, help="Market seconds per wall second (default SIM_SPEED; 600 = ten minutes "
                                    "per second)."),
        start: str = typer.Option(None, help="Replay start, ISO-8601 UTC (default SIM_START or the data's start)."),
        fresh: bool = typer.Option(False, "--fresh", help="Ignore the saved state in VAR_DIR/sim/state.json."),
        no_rate_limits: bool = typer.Option(False, "--no-rate-limits", help="Disable OKX's rate limits."),
    ) -> None:
        """Serve an OKX v5-compatible exchange: python-okx and the bot's WebSocket client run against it
        unchanged. Credentials come from SIM_API_KEY/SIM_API_SECRET/SIM_PASSPHRASE or are generated into
        VAR_DIR/sim/credentials.json. State is saved to VAR_DIR/sim/state.json and restored on restart."""
        from trading_bot.exchange.sim import credentials, persistence
        from trading_bot.exchange.sim.files import DataFileError
        from trading_bot.exchange.sim.runtime import SimSpec, build_clock, build_venue
        from trading_bot.exchange.sim.server import ServerOptions, SimServer

        settings = bootstrap()
        path = state_path(settings)
        resume = persistence.saved_time(path) if path.exists() and not fresh else None
        begin = parse_iso(start) if start else (from_ms(resume) if resume is not None else None)
        spec = SimSpec.from_settings(settings, speed=speed, seed=synthetic, start=begin)
        if synthetic is not None:
            spec = SimSpec(**{**spec.__dict__, "data": []})
        elif data:
            spec = SimSpec(**{**spec.__dict__, "data": list(data)})
        try:
            venue = build_venue(spec, datetime.now(UTC))
        except (DataFileError, ValueError) as exc:
            raise fail(str(exc), CONFIG_EXIT_CODE) from None
        if resume is not None:
            try:
                persistence.load(venue, path)
            except persistence.StateFileError as exc:
                raise fail(f"{exc} (start with --fresh to discard it)", CONFIG_EXIT_CODE) from None
            console.print(f"restored account state from {path} (market time {from_ms(venue.now_ms).isoformat()})")
        creds, written = credentials.load_or_create(settings)
        options = ServerOptions(port=port or settings.sim_port, rate_limits=settings.sim_rate_limits and not no_rate_limits,
                                state_file=path)
        server = SimServer(venue, build_clock(venue, spec.speed), creds, options)
        asyncio.run(_serve(server, spec, written, "--port" if port else "SIM_PORT"))


async def _serve(server: SimServer, spec: SimSpec, written: Path | None, port_source: str) -> None:
    try:
        await server.start()
    except OSError as exc:
        raise fail(ports.describe(exc, server.options.port, port_source, server.options.host),
                   CONFIG_EXIT_CODE) from None
    _announce(server, spec, written)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if spec.speed > FAST_FORWARD and console.is_terminal:
            with Live(_progress(server), console=console, refresh_per_second=4) as live:
                while not stop.is_set():
                    live.update(_progress(server))
                    await asyncio.sleep(0.25)
        else:
            await _log_progress(server, stop)
    finally:
        await server.stop()
        console.print(f"simulator stopped at market time {from_ms(server.venue.now_ms).isoformat()}; state saved")


def _announce(server: SimServer, spec: SimSpec, written: Path | None) -> None:
    base = f"127.0.0.1:{server.port}"
    source = ", ".join(spec.data) if spec.data else f"synthetic market (seed {spec.seed})"
    console.print(f"OKX v5 simulator on http://{base}  (ws://{base}/ws/v5/public|private|business)")
    console.print(f"market: {source}; starts {from_ms(server.venue.now_ms).isoformat()} at {spec.speed:g}x")
    where = f"in {written}" if written else "from SIM_API_KEY/SIM_API_SECRET/SIM_PASSPHRASE"
    console.print(f"API key {server.creds.api_key} (secret and passphrase {where})")


def _progress(server: SimServer) -> Table:
    state = server.state()
    table = Table(title="trading-bot sim", show_header=False)
    table.add_row("market time", from_ms(int(state["ts"])).strftime("%Y-%m-%d %H:%M:%S UTC"))
    for inst_id, price in state["prices"].items():
        table.add_row(inst_id, price)
    table.add_row("equity (USDT)", f"{float(state['equity']):,.2f}")
    table.add_row("open positions", str(state["positions"]))
    table.add_row("REST requests / WS pushes", f"{server.requests} / {server.hub.sent}")
    if state["dataEnd"] and int(state["ts"]) >= int(state["dataEnd"]):
        table.add_row("replay", "[yellow]end of data reached: prices frozen[/]")
    return table


async def _log_progress(server: SimServer, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=60)
        except TimeoutError:
            state = server.state()
            prices = " ".join(f"{k}={v}" for k, v in state["prices"].items())
            console.print(f"{from_ms(int(state['ts'])).isoformat()} {prices} equity={float(state['equity']):.2f}")
