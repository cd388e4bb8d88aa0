"""`trading-bot data download` against the real OKX v5 simulator (tests/kit/sim.py) over HTTP, through
our OKX adapter: history-candles pages, rate limits, resuming, the end of the exchange's history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.integration.okx.conftest import adapter_for, data_files
from tests.kit.candles import shared_frame
from tests.kit.cli import clean_env
from trading_bot.cli import app
from trading_bot.market.download import download
from trading_bot.storage.repos.candles import count, fetch_candles

pytestmark = pytest.mark.shared

INST = "BTC-USDT-SWAP"
START = datetime(2025, 12, 20, tzinfo=UTC)
END = datetime(2026, 1, 5, tzinfo=UTC)  # the simulator's market time: nothing newer exists there
BARS = int((END - START) / timedelta(minutes=15))  # 1,536


@pytest.fixture(scope="module")
def sim(shared_dir: Path) -> Iterator:  # one simulator for the module: loading the files takes a while
    from tests.kit.sim import running_sim

    with running_sim(data=data_files(shared_dir), start=END, rate_limits=True) as running:
        yield running


def test_downloads_every_bar_exactly_as_the_exchange_has_it(sim, database, shared_dir: Path) -> None:  # noqa: ANN001
    adapter = adapter_for(sim)
    try:
        report = download(adapter, database, INST, "15m", START, END)
    finally:
        adapter.close()
    assert (report.bars, report.skipped, report.exhausted) == (BARS, 0, None)
    assert report.pages == BARS // 100 + 1 and report.first == START
    stored = fetch_candles(database, INST, "15m")
    frame = shared_frame(shared_dir)
    first = int(np.searchsorted(frame.ts, int(START.timestamp() * 1000)))
    assert len(stored) == BARS and all(c.confirmed for c in stored)
    for i in (0, 700, BARS - 1):
        assert stored[i].ts == frame.open_time(first + i)
        assert float(stored[i].close) == frame.close[first + i] and float(stored[i].high) == frame.high[first + i]
        assert stored[i].volume_ccy == Decimal(repr(float(frame.volume[first + i])))


def test_a_rerun_resumes_fetching_only_what_is_missing(sim, database) -> None:  # noqa: ANN001
    adapter = adapter_for(sim)
    try:
        part = download(adapter, database, INST, "15m", END - timedelta(days=4), END)  # "interrupted" run
        assert part.bars == 384 and count(database, INST, "15m") == 384
        rest = download(adapter, database, INST, "15m", START, END)
        assert rest.skipped == 3 and rest.bars == BARS - 300 and count(database, INST, "15m") == BARS
        again = download(adapter, database, INST, "15m", START, END)
        assert (again.pages, again.skipped) == (0, BARS // 100 + 1)
    finally:
        adapter.close()


def test_stops_at_the_start_of_the_exchange_history(sim, database) -> None:  # noqa: ANN001
    adapter = adapter_for(sim)
    try:
        report = download(adapter, database, INST, "4H", datetime(2022, 12, 1, tzinfo=UTC),
                          datetime(2023, 1, 10, tzinfo=UTC))
    finally:
        adapter.close()
    assert report.exhausted == datetime(2023, 1, 1, tzinfo=UTC)
    assert count(database, INST, "4H") == 54  # 9 days of 4H bars the simulator builds from its 15m file


def test_the_command_downloads_from_the_configured_venue(sim, db_url: str, database) -> None:  # noqa: ANN001
    env = clean_env(DATABASE_URL=db_url, OKX_API_KEY=sim.api_key, OKX_API_SECRET=sim.secret_key,
                    OKX_PASSPHRASE=sim.passphrase, OKX_REST_URL=sim.rest_url, LOG_LEVEL="WARNING")
    result = CliRunner().invoke(app, ["data", "download", "--instrument", INST, "--timeframe", "1H",
                                      "--from", "2025-12-25T00:00:00Z", "--to", "2026-01-05T00:00:00Z"], env=env)
    assert result.exit_code == 0, result.stderr
    assert f"downloading {INST} 1H from OKX demo at {sim.rest_url}" in result.stdout
    assert "264 bars in 3 requests, oldest 2025-12-25 00:00Z; 0 page(s) already stored" in result.stdout
    assert count(database, INST, "1H") == 264
    bad = CliRunner().invoke(app, ["data", "download", "--instrument", INST, "--timeframe", "1H",
                                   "--from", "2026-01-05T00:00:00Z", "--to", "2026-01-01T00:00:00Z"], env=env)
    assert bad.exit_code == 1 and "--from must be before --to" in bad.stderr


def test_without_okx_keys_it_downloads_from_the_local_simulator(sim, db_url: str, database,  # noqa: ANN001
                                                                tmp_path: Path) -> None:
    import json

    from trading_bot.config import load_settings
    from trading_bot.exchange.okx.endpoints import sim_credentials_path

    path = sim_credentials_path(load_settings(var_dir=tmp_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"api_key": sim.api_key, "secret_key": sim.secret_key, "passphrase": sim.passphrase}))
    env = clean_env(DATABASE_URL=db_url, VAR_DIR=str(tmp_path), SIM_PORT=str(sim.server.port), LOG_LEVEL="WARNING")
    result = CliRunner().invoke(app, ["data", "download", "--instrument", INST, "--timeframe", "4H",
                                      "--from", "2026-01-01T00:00:00Z", "--to", "2026-01-05T00:00:00Z"], env=env)
    assert result.exit_code == 0, result.stderr
    assert f"from simulator at http://127.0.0.1:{sim.server.port}" in result.stdout
    assert count(database, INST, "4H") == 24
