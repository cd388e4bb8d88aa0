"""`trading-bot sim` as a real process: it serves python-okx with the credentials it generated and
announced, keeps its state across a restart, and `trading-bot run` prepares the credentials file
every other role reads."""

from __future__ import annotations

import json
import signal
import socket
from pathlib import Path

from okx.Account import AccountAPI
from okx.Trade import TradeAPI

from tests.kit.cli import clean_env, run_cli
from tests.kit.processes import Proc, python_module
from tests.kit.services import free_port
from trading_bot.cli.run_cmd import prepare_simulator
from trading_bot.config import load_settings
from trading_bot.exchange.okx.endpoints import resolve_endpoints, sim_credentials_path

INST = "BTC-USDT-SWAP"


def _start(tmp_path: Path, port: int) -> Proc:
    env = clean_env(VAR_DIR=str(tmp_path / "var"), SIM_PORT=str(port), SIM_SEED="11")
    sim = Proc(python_module("trading_bot", "sim", "--start", "2026-01-05T00:00:00Z", "--speed", "1"), env,
               cwd=tmp_path, name="sim")
    sim.wait_for("API key", timeout=60)
    return sim


def test_sim_serves_with_announced_credentials_and_remembers_positions(tmp_path: Path) -> None:
    port = free_port()
    sim = _start(tmp_path, port)
    try:
        path = sim_credentials_path(load_settings(var_dir=tmp_path / "var"))
        assert f"in {path}" in sim.output and f"http://127.0.0.1:{port}" in sim.output
        assert path.stat().st_mode & 0o777 == 0o600
        creds = json.loads(path.read_text())
        assert creds["secret_key"] not in sim.output and creds["passphrase"] not in sim.output
        args = (creds["api_key"], creds["secret_key"], creds["passphrase"])
        trade = TradeAPI(*args, flag="1", domain=f"http://127.0.0.1:{port}")
        assert trade.place_order(instId=INST, tdMode="cross", side="buy", ordType="market", sz="1")["code"] == "0"
    finally:
        assert sim.stop() == 0
    assert "state saved" in sim.output
    again = _start(tmp_path, port)
    try:
        assert "restored account state" in again.output
        account = AccountAPI(*args, flag="1", domain=f"http://127.0.0.1:{port}")
        assert account.get_positions()["data"][0]["pos"] == "1"
    finally:
        again.signal(signal.SIGINT)
        again.stop()


def test_bad_data_file_is_one_line(tmp_path: Path) -> None:
    result = run_cli("sim", "--data", str(tmp_path / "missing.csv.gz"), env=clean_env(VAR_DIR=str(tmp_path)))
    assert result.returncode == 2
    assert f"{tmp_path / 'missing.csv.gz'}: no such file" in result.stderr


def test_a_taken_port_is_one_line_naming_where_it_came_from(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        by_setting = run_cli("sim", env=clean_env(VAR_DIR=str(tmp_path), SIM_PORT=str(port)))
        by_option = run_cli("sim", "--port", str(port), env=clean_env(VAR_DIR=str(tmp_path)))
    for result, source in ((by_setting, "SIM_PORT"), (by_option, "--port")):
        assert result.returncode == 2  # a configuration error: `trading-bot run` does not restart it
        assert result.stderr == f"error: port {port} on 127.0.0.1 is taken ({source})\n"


def test_a_bad_row_in_a_data_file_is_one_line_naming_file_and_row(tmp_path: Path) -> None:
    path = tmp_path / "okx_BTC-USDT-SWAP_1m.csv"
    path.write_text("ts_ms,open,high,low,close,volume\n1767571200000,100,101,99,100,1\n"
                    "1767571260000,100,99.5,99.8,99.6,1\n1767571320000,100,101,99,100,1\n")
    result = run_cli("sim", env=clean_env(VAR_DIR=str(tmp_path), SIM_DATA=str(path)))
    assert result.returncode == 2
    assert result.stderr == f"error: {path}: data row 2 (bar 2026-01-05 00:01Z): high 99.5 is below low 99.8\n"


def test_run_prepares_credentials_every_role_reads_in_simulator_mode(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var", sim_port=18555)
    prepare_simulator(settings)
    role = load_settings(var_dir=tmp_path / "var", sim_port=18555)  # a role: same environment, no OKX keys
    endpoints = resolve_endpoints(role)
    assert role.uses_simulator and endpoints.simulator
    assert endpoints.rest_url == "http://127.0.0.1:18555"
    assert endpoints.ws_business_url == "ws://127.0.0.1:18555/ws/v5/business"
    stored = json.loads((tmp_path / "var" / "sim" / "credentials.json").read_text())
    assert endpoints.credentials is not None and endpoints.credentials.api_key == stored["api_key"]
    prepare_simulator(settings)  # a second run reuses the same set
    assert resolve_endpoints(role).credentials.api_key == stored["api_key"]  # type: ignore[union-attr]


def test_configured_simulator_credentials_reach_every_role(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var", sim_api_key="k1", sim_api_secret="s1", sim_passphrase="p1")
    prepare_simulator(settings)
    creds = resolve_endpoints(load_settings(var_dir=tmp_path / "var")).credentials
    assert creds is not None and (creds.api_key, creds.secret_key, creds.passphrase) == ("k1", "s1", "p1")


def test_progress_panel_shows_market_time_prices_and_equity() -> None:
    from io import StringIO

    from rich.console import Console

    from tests.kit.sim import running_sim
    from trading_bot.cli.sim_cmd import _progress

    with running_sim() as sim:
        table = sim.call(_progress)
    out = StringIO()
    Console(file=out, width=100).print(table)
    text = out.getvalue()
    assert "2026-01-05 00:00:00 UTC" in text and "BTC-USDT-SWAP" in text and "10,000.00" in text
