"""Anomaly alerts on the real `market:alerts` stream: one per episode, per kind and instrument."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.domain.events import Alert
from trading_bot.domain.snapshot import Anomaly, MarketSnapshot
from trading_bot.market.anomalies import ALERT_REPEAT, publish_alerts
from trading_bot.storage.streams import MARKET_ALERTS, decode, read_group

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)


def _snapshot(at: datetime, *anomalies: tuple[str, str], inst_id: str = "BTC-USDT-SWAP") -> MarketSnapshot:
    flags = [Anomaly(kind=kind, severity=severity, message=f"{kind} test", value=1.0,  # type: ignore[arg-type]
                     threshold=0.5) for kind, severity in anomalies]
    return MarketSnapshot(inst_id=inst_id, at=at, price=Decimal("95000"), timeframes={}, anomalies=flags)


def _stream(redis_client, keys) -> list[Alert]:  # noqa: ANN001
    entries = read_group(redis_client, keys, [MARKET_ALERTS], "test", "c1", block_ms=None)
    return [decode(entry, Alert) for entry in entries]


def test_an_ongoing_condition_alerts_once_then_again_on_escalation_repeat_or_a_new_episode(  # noqa: ANN001
        redis_client, keys) -> None:
    minutes = timedelta(minutes=1)
    steps = [
        (T0, "WARN"),
        (T0 + 5 * minutes, "WARN"),
        (T0 + 10 * minutes, "CRITICAL"),  # escalation
        (T0 + 15 * minutes, "WARN"),
        (T0 + 10 * minutes + ALERT_REPEAT, "WARN"),  # still going after the repeat interval
        (T0 + ALERT_REPEAT + 15 * minutes, None),  # condition over
        (T0 + ALERT_REPEAT + 20 * minutes, "WARN"),  # a new episode
    ]
    sent = [publish_alerts(redis_client, keys, _snapshot(at, *([("funding_spike", sev)] if sev else [])))
            for at, sev in steps]
    assert [len(batch) for batch in sent] == [1, 0, 1, 0, 1, 0, 1]
    received = _stream(redis_client, keys)
    expected = [(a.kind, a.severity, a.ts) for batch in sent for a in batch]
    assert [(a.kind, a.severity, a.ts) for a in received] == expected
    assert received[0].inst_id == "BTC-USDT-SWAP" and received[0].message == "BTC-USDT-SWAP: funding_spike test"
    assert received[0].data == {"value": 1.0, "threshold": 0.5, "price": "95000"}


def test_deduplication_is_per_kind_and_per_instrument(redis_client, keys) -> None:  # noqa: ANN001
    publish_alerts(redis_client, keys, _snapshot(T0, ("volume_spike", "WARN"), ("stale_data", "WARN")))
    publish_alerts(redis_client, keys, _snapshot(T0, ("volume_spike", "WARN"), inst_id="ETH-USDT-SWAP"))
    later = T0 + timedelta(minutes=1)
    publish_alerts(redis_client, keys, _snapshot(later, ("volume_spike", "WARN"), ("stale_data", "WARN")))
    assert sorted((a.inst_id, a.kind) for a in _stream(redis_client, keys)) == [
        ("BTC-USDT-SWAP", "stale_data"), ("BTC-USDT-SWAP", "volume_spike"), ("ETH-USDT-SWAP", "volume_spike")]


def test_the_end_of_a_stale_data_episode_is_announced_once(redis_client, keys) -> None:  # noqa: ANN001
    seconds = timedelta(seconds=10)
    steps = [(T0, [("stale_data", "WARN")]), (T0 + seconds, [("stale_data", "WARN"), ("volume_spike", "WARN")]),
             (T0 + 2 * seconds, []), (T0 + 3 * seconds, []), (T0 + 4 * seconds, [("stale_data", "CRITICAL")]),
             (T0 + 5 * seconds, [])]
    sent = [publish_alerts(redis_client, keys, _snapshot(at, *flags)) for at, flags in steps]
    assert [[(a.kind, a.severity) for a in batch] for batch in sent] == [
        [("stale_data", "WARN")], [("volume_spike", "WARN")], [("stale_data_recovered", "INFO")], [],
        [("stale_data", "CRITICAL")], [("stale_data_recovered", "INFO")]]
    recovered = sent[2][0]
    assert recovered.message == "BTC-USDT-SWAP: market data fresh again: the gate no longer refuses entries as stale"
    assert (recovered.inst_id, recovered.ts, recovered.data) == ("BTC-USDT-SWAP", T0 + 2 * seconds, {"price": "95000"})
    assert [(a.kind, a.ts) for a in _stream(redis_client, keys)] == [(a.kind, a.ts) for batch in sent for a in batch]
    # the end of another kind's episode is no news
    assert publish_alerts(redis_client, keys, _snapshot(T0 + 6 * seconds, ("price_move", "WARN"))) != []
    assert publish_alerts(redis_client, keys, _snapshot(T0 + 7 * seconds)) == []
