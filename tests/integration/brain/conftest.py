"""Brain integration fixtures: the real anthropic SDK against a loopback fake Messages API, real
httpx against a fake Perplexity Agent API, real PostgreSQL for the ledger, real Redis for alerts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from tests.kit.fake_anthropic import FakeAnthropic
from tests.kit.fake_perplexity import FakePerplexity
from tests.kit.snapshots import AT
from trading_bot.brain.alerts import RedisAlerts
from trading_bot.brain.factory import build_brain
from trading_bot.brain.ports import Brain
from trading_bot.clock import ManualClock
from trading_bot.config import Settings
from trading_bot.domain.events import Alert
from trading_bot.storage.db import Database
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys


@pytest.fixture
def fake_anthropic() -> Iterator[FakeAnthropic]:
    with FakeAnthropic() as fake:
        yield fake


@pytest.fixture
def fake_perplexity() -> Iterator[FakePerplexity]:
    with FakePerplexity() as fake:
        yield fake


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(AT)


@pytest.fixture
def claude_settings(settings: Settings, fake_anthropic: FakeAnthropic) -> Settings:
    return settings.model_copy(update={
        "anthropic_api_key": SecretStr(fake_anthropic.api_key), "anthropic_base_url": fake_anthropic.base_url,
        "llm_max_retries": 1, "brain_mode": "claude",
    })


@pytest.fixture
def make_brain(database: Database, redis_client: Any, keys: Keys, clock: ManualClock):  # noqa: ANN201
    def build(settings: Settings, run_id: str = "live") -> Brain:
        return build_brain(settings, database, RedisAlerts(redis_client, keys), clock, run_id=run_id)

    return build


@pytest.fixture
def read_alerts(redis_client: Any, keys: Keys):  # noqa: ANN201
    def read() -> list[Alert]:
        entries = redis_client.xrange(keys.stream(SYSTEM_ALERTS))
        return [Alert.model_validate_json(fields["data"]) for _, fields in entries]

    return read
