"""`trading-bot snapshot` as a real subprocess against the test database and Redis."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.integration.market.conftest import INST, StoredMarket
from tests.kit.cli import clean_env, run_cli
from trading_bot.cli import app
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.market.live_source import LiveSource
from trading_bot.market.snapshot import SnapshotBuilder


def _env(db_url: str, redis_url: str, namespace: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace, LOG_LEVEL="WARNING")


@pytest.mark.shared
def test_json_output_is_the_snapshot_and_pretty_output_shows_it(stored_market: StoredMarket, db_url, redis_url,  # noqa: ANN001
                                                                namespace, database, redis_client, keys) -> None:
    at = stored_market.at.isoformat().replace("+00:00", "Z")
    result = run_cli("snapshot", INST, "--at", at, "--json", env=_env(db_url, redis_url, namespace))
    assert result.returncode == 0, result.stderr
    printed = MarketSnapshot.model_validate(json.loads(result.stdout))
    assert printed == SnapshotBuilder(LiveSource(INST, database, redis_client, keys)).build(stored_market.at)
    pretty = run_cli("snapshot", INST, "--at", at, env=_env(db_url, redis_url, namespace))
    assert pretty.returncode == 0, pretty.stderr
    for text in (f"{INST} at {stored_market.at:%Y-%m-%d %H:%M:%S}Z", "RSI 14", "regime", "15m", "4H",
                 "book: bid", "funding: 0.0610 %", "ANOMALY WARN funding_spike"):
        assert text in pretty.stdout, text


def _invoke(env: dict[str, str], *args: str):  # noqa: ANN202 (in-process: the error paths need no subprocess)
    return CliRunner().invoke(app, list(args), env=env)


def test_without_any_data_it_says_what_to_do(db_url, redis_url, namespace) -> None:  # noqa: ANN001
    result = _invoke(_env(db_url, redis_url, namespace), "snapshot", INST, "--at", "2026-01-05T12:00:00Z")
    assert result.exit_code == 1
    assert "no ticker and no closed 15m bar" in result.stderr and "trading-bot data import" in result.stderr


def test_bad_arguments_are_one_line_errors(db_url, redis_url, namespace) -> None:  # noqa: ANN001
    bad_time = _invoke(_env(db_url, redis_url, namespace), "snapshot", INST, "--at", "yesterday")
    assert bad_time.exit_code == 1 and "--at: expected an ISO-8601 time" in bad_time.stderr
    bad_inst = _invoke(_env(db_url, redis_url, namespace), "snapshot", "BTCUSDT")
    assert bad_inst.exit_code == 1 and "expected an instrument such as BTC-USDT-SWAP" in bad_inst.stderr
