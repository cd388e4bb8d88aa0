"""Runtime overrides in Redis: only whitelisted non-risk settings, validated like the environment,
audited, readable by any process through `effective_settings`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from trading_bot.config import Settings, load_settings
from trading_bot.runtime_config import OverrideRefused, effective_settings, overrides, set_override
from trading_bot.storage.streams import Keys

NOW = datetime(2026, 2, 5, 12, tzinfo=UTC)


@pytest.fixture
def settings(redis_url: str, namespace: str) -> Settings:
    """Only Redis is involved here: no database per test."""
    return load_settings(redis_url=redis_url, redis_namespace=namespace)


def test_a_whitelisted_setting_changes_and_every_reader_sees_it(settings: Settings, redis_client: Any,
                                                                 keys: Keys) -> None:
    change = set_override(settings, redis_client, keys, "CYCLE_SECONDS", " 120 ", "telegram:1", NOW)
    assert (change.key, change.before, change.after) == ("cycle_seconds", "300", "120")
    assert effective_settings(settings, redis_client, keys).cycle_seconds == 120
    assert settings.cycle_seconds == 300  # the baseline object is untouched
    audit = [json.loads(item) for item in redis_client.lrange(keys.custom("config", "audit"), 0, -1)]
    assert audit == [{"key": "cycle_seconds", "before": "300", "after": "120", "actor": "telegram:1",
                      "at": NOW.isoformat()}]


def test_reset_returns_to_the_environment_value(settings: Settings, redis_client: Any, keys: Keys) -> None:
    set_override(settings, redis_client, keys, "silent_hours_utc", "22-6", "telegram:1", NOW)
    assert effective_settings(settings, redis_client, keys).silent_hours_utc == "22-6"
    set_override(settings, redis_client, keys, "silent_hours_utc", "off", "telegram:1", NOW)
    assert effective_settings(settings, redis_client, keys).silent_hours_utc is None
    change = set_override(settings, redis_client, keys, "silent_hours_utc", "reset", "telegram:1", NOW)
    assert change.after == "(unset)" and overrides(redis_client, keys) == {}


@pytest.mark.parametrize(("key", "value", "reason"), [
    ("max_leverage", "10", "risk limit"),
    ("risk_max_leverage", "2", "risk limit"),
    ("MAX_DAILY_LOSS_PCT", "50", "risk limit"),
    ("daily_llm_budget_usd", "1000", "only be changed in the environment"),
    ("okx_api_key", "x", "secret"),
    ("database_url", "postgresql://evil", "secret"),
    ("instruments", "ETH-USDT-SWAP", "only be changed in the environment"),
    ("no_such_thing", "1", "no setting called"),
    ("cycle_seconds", "abc", "CYCLE_SECONDS"),
    ("cycle_seconds", "1", "greater than or equal to 5"),
    ("silent_hours_utc", "25-3", "expected hours"),
])
def test_refusals_explain_themselves_and_store_nothing(settings: Settings, redis_client: Any, keys: Keys, key: str,
                                                      value: str, reason: str) -> None:
    with pytest.raises(OverrideRefused, match=reason):
        set_override(settings, redis_client, keys, key, value, "telegram:1", NOW)
    assert overrides(redis_client, keys) == {}
    assert redis_client.llen(keys.custom("config", "audit")) == 0


def test_an_override_that_no_longer_validates_is_ignored(settings: Settings, redis_client: Any, keys: Keys) -> None:
    redis_client.hset(keys.custom("config", "overrides"), mapping={"cycle_seconds": "2", "max_leverage": "50",
                                                                   "shadow_analysis_fraction": "0.5"})
    effective = effective_settings(settings, redis_client, keys)
    assert (effective.cycle_seconds, effective.shadow_analysis_fraction) == (300, 0.5)
