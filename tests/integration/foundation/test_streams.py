"""Redis streams: consumer groups deliver each entry once and redeliver unacknowledged ones."""

from datetime import UTC, datetime

import redis

from trading_bot.domain.events import Alert
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys, ack, decode, publish, read_group


def test_publish_read_ack_and_redelivery_after_crash(redis_client: redis.Redis, keys: Keys) -> None:
    alert = Alert(severity="WARN", kind="budget_80", message="80 % of the LLM budget used",
                  ts=datetime(2026, 1, 5, tzinfo=UTC))
    publish(redis_client, keys, SYSTEM_ALERTS, alert)
    publish(redis_client, keys, SYSTEM_ALERTS, alert.model_copy(update={"kind": "second"}))

    first = list(read_group(redis_client, keys, [SYSTEM_ALERTS], "telegram", "c1", block_ms=None))
    assert [decode(e, Alert).kind for e in first] == ["budget_80", "second"]
    ack(redis_client, keys, first[0], "telegram")  # the second is "in flight" when c1 crashes

    again = list(read_group(redis_client, keys, [SYSTEM_ALERTS], "telegram", "c1", block_ms=None))
    assert [decode(e, Alert).kind for e in again] == ["second"]  # redelivered to the same consumer
    ack(redis_client, keys, again[0], "telegram")
    assert list(read_group(redis_client, keys, [SYSTEM_ALERTS], "telegram", "c1", block_ms=None)) == []

    other_group = list(read_group(redis_client, keys, [SYSTEM_ALERTS], "grafana", "g1", block_ms=None))
    assert len(other_group) == 2  # each group sees every entry
    assert redis_client.exists(keys.stream(SYSTEM_ALERTS)) and keys.stream(SYSTEM_ALERTS).startswith(keys.namespace)
