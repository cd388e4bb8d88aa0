"""Venue resolution (OKX with keys, the simulator without) and per-item error isolation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trading_bot.config import ConfigError, load_settings
from trading_bot.exchange.okx.endpoints import resolve_endpoints, sim_credentials_path
from trading_bot.ingest.runtime import for_each_item


def test_configured_keys_use_the_configured_okx_urls(tmp_path: Path) -> None:
    settings = load_settings(okx_api_key="k-123456", okx_api_secret="s-123456", okx_passphrase="p-123456",
                             okx_flag="0", var_dir=tmp_path)
    endpoints = resolve_endpoints(settings)
    assert (endpoints.rest_url, endpoints.flag, endpoints.simulator) == ("https://www.okx.com", "0", False)
    assert endpoints.ws_business_url.endswith("/ws/v5/business") and "LIVE" in endpoints.venue
    assert "s-123456" not in repr(endpoints)


def test_without_keys_the_simulator_and_its_credentials_file(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path, sim_port=18787)
    with pytest.raises(ConfigError, match="trading-bot sim"):
        resolve_endpoints(settings)
    path = sim_credentials_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"api_key": "sim-k", "secret_key": "sim-s", "passphrase": "sim-p"}))
    endpoints = resolve_endpoints(settings)
    assert endpoints.rest_url == "http://127.0.0.1:18787" and endpoints.simulator
    assert endpoints.ws_private_url == "ws://127.0.0.1:18787/ws/v5/private"
    assert endpoints.credentials is not None and endpoints.credentials.api_key == "sim-k"


def test_a_malformed_item_is_skipped_and_the_others_handled() -> None:
    seen: list[int] = []

    def handle(item: dict) -> None:
        seen.append(int(item["n"]))

    for_each_item({"arg": {"channel": "tickers"}, "data": [{"n": 1}, {"x": 0}, {"n": "bad"}, {"n": 4}]}, handle)
    assert seen == [1, 4]
