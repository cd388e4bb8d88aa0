"""The consumer roles as real processes (`trading-bot ws-public` / `ws-private`) against the
simulator: health via heartbeat, clean SIGTERM, and a refused key ends with a clear message."""

from __future__ import annotations

import signal
import time

import pytest

from tests.kit.cli import clean_env, run_cli
from tests.kit.processes import Proc, python_module
from trading_bot.config import Settings
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import count

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def sim_env(sim, settings: Settings, **overrides: str) -> dict[str, str]:  # noqa: ANN001
    values = dict(
        REDIS_URL=settings.redis_dsn(), REDIS_NAMESPACE=settings.redis_namespace,
        DATABASE_URL=settings.database_dsn().replace("+psycopg", ""), VAR_DIR=str(settings.var_dir),
        OKX_API_KEY=sim.api_key, OKX_API_SECRET=sim.secret_key, OKX_PASSPHRASE=sim.passphrase,
        OKX_REST_URL=sim.rest_url, OKX_WS_PUBLIC_URL=sim.ws_public_url, OKX_WS_PRIVATE_URL=sim.ws_private_url,
        OKX_WS_BUSINESS_URL=sim.ws_business_url,
    )
    return clean_env(**(values | overrides))


def test_ws_public_process_is_healthy_and_stops_cleanly(sim, settings: Settings, database: Database) -> None:  # noqa: ANN001
    env = sim_env(sim, settings)
    assert run_cli("health", "ws-public", env=env).returncode == 1  # not running yet
    proc = Proc(python_module("trading_bot", "ws-public"), env, name="ws-public")
    try:
        proc.wait_for(lambda out: out.count("ws_connected") >= 2, timeout=60)
        health = run_cli("health", "ws-public", env=env)
        deadline = time.monotonic() + 15
        while health.returncode != 0 and time.monotonic() < deadline:
            time.sleep(0.5)
            health = run_cli("health", "ws-public", env=env)
        assert health.returncode == 0, health.stdout + health.stderr
        assert all(count(database, "BTC-USDT-SWAP", tf) >= 200 for tf in ("15m", "1H", "4H"))
        proc.signal(signal.SIGTERM)
        assert proc.popen.wait(timeout=15) == 0, proc.output[-2000:]
        assert sim.secret_key not in proc.output and sim.passphrase not in proc.output
    finally:
        proc.stop()


def test_refused_key_exits_with_a_clear_message(sim, settings: Settings) -> None:  # noqa: ANN001
    result = run_cli("ws-private", env=sim_env(sim, settings, OKX_API_KEY="not-the-sim-key"), timeout=60)
    assert result.returncode == 3
    assert "refused the API credentials" in result.stderr and "50111" in result.stderr


def test_demo_key_against_the_live_flag_says_so(sim, settings: Settings) -> None:  # noqa: ANN001
    result = run_cli("ws-private", env=sim_env(sim, settings, OKX_FLAG="0"), timeout=60)
    assert result.returncode == 3
    assert "50101" in result.stderr and "OKX_FLAG=1" in result.stderr
