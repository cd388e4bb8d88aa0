"""Anomaly flags of a snapshot (pure) and their alerts on `market:alerts` (deduplicated).

A flag is WARN beyond its threshold and CRITICAL beyond twice the threshold (stale data: CRITICAL
after STALE_CRITICAL_SECONDS or when no ticker exists at all). Stale data judges the ticker and
the order book at the risk gate's bound, so the alert says when the gate starts refusing entries
(its `stale_market_data` rule).

Alerts are deduplicated per kind and instrument: one alert per episode. While a condition lasts,
it is repeated only when its severity rises or after ALERT_REPEAT; once a snapshot no longer shows
it, the next occurrence alerts again. The end of a stale-data episode is announced too (INFO
`stale_data_recovered`): the gate takes entries again; the other kinds are market conditions,
whose end is no news. The bookkeeping is one Redis key per kind and instrument, updated
atomically, with time taken from the snapshots (market time, also in fast-forward).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import redis

from trading_bot.clock import to_ms
from trading_bot.domain.events import Alert
from trading_bot.domain.snapshot import Anomaly, AnomalyKind, MarketSnapshot, Severity
from trading_bot.risk.limits import MAX_MARKET_DATA_AGE_SECONDS
from trading_bot.storage.streams import MARKET_ALERTS, Keys, publish

PRICE_MOVE_PCT = 3.0  # |move| over the last hour
FUNDING_RATE_ABS = 0.0005  # ±0.05 % per funding period
OI_CHANGE_PCT = 5.0  # |change| over the last hour
VOLUME_SPIKE_RATIO = 3.0  # last closed bar's volume / its 20-bar mean
STALE_SECONDS = float(MAX_MARKET_DATA_AGE_SECONDS)  # age of the ticker or the order book
STALE_CRITICAL_SECONDS = 300.0
ALERT_REPEAT = timedelta(hours=4)
ANOMALY_KINDS = ("price_move", "funding_spike", "oi_change", "volume_spike", "stale_data")
SEVERITY_RANK = {"INFO": 0, "WARN": 1, "CRITICAL": 2}


@dataclass(frozen=True, slots=True)
class AnomalyInputs:
    price_move_pct: float | None  # change of the price against the price one hour earlier, %
    funding_rate: float | None
    oi_change_pct: float | None
    volume: float | None  # last closed 15m bar
    volume_mean: float | None  # its 20-bar mean
    ticker_age_seconds: float | None  # None: no ticker at all
    price_age_seconds: float  # age of the snapshot's price (the ticker, or the last close without one)
    book_age_seconds: float | None = None  # None: no book


def detect(inputs: AnomalyInputs) -> list[Anomaly]:
    found = [
        _beyond("price_move", inputs.price_move_pct, PRICE_MOVE_PCT, "price moved {value:+.2f} % in 1H"),
        _beyond("funding_spike", _pct(inputs.funding_rate), FUNDING_RATE_ABS * 100, "funding rate {value:+.4f} %"),
        _beyond("oi_change", inputs.oi_change_pct, OI_CHANGE_PCT, "open interest changed {value:+.2f} % in 1H"),
        _volume_spike(inputs.volume, inputs.volume_mean),
        _stale(inputs),
    ]
    return [anomaly for anomaly in found if anomaly is not None]


def _pct(rate: float | None) -> float | None:
    return None if rate is None else rate * 100


def _severity(magnitude: float, threshold: float) -> Severity:
    return "CRITICAL" if magnitude > 2 * threshold else "WARN"


def _beyond(kind: AnomalyKind, value: float | None, threshold: float, text: str) -> Anomaly | None:
    if value is None or abs(value) <= threshold:
        return None
    message = text.format(value=value) + f" (threshold ±{threshold:g})"
    return Anomaly(kind=kind, severity=_severity(abs(value), threshold), message=message, value=value,
                   threshold=threshold)


def _volume_spike(volume: float | None, mean: float | None) -> Anomaly | None:
    if volume is None or mean is None or mean <= 0:
        return None
    ratio = volume / mean
    if ratio <= VOLUME_SPIKE_RATIO:
        return None
    message = f"15m volume {ratio:.1f}× its 20-bar mean (threshold {VOLUME_SPIKE_RATIO:g}×)"
    return Anomaly(kind="volume_spike", severity=_severity(ratio, VOLUME_SPIKE_RATIO), message=message,
                   value=ratio, threshold=VOLUME_SPIKE_RATIO)


def _stale(inputs: AnomalyInputs) -> Anomaly | None:
    if inputs.ticker_age_seconds is None:
        price_age = inputs.price_age_seconds
        return Anomaly(kind="stale_data", severity="CRITICAL", value=price_age, threshold=STALE_SECONDS,
                       message=f"no ticker; the price is the last candle close, {price_age:.0f} s old")
    what, age = "ticker", inputs.ticker_age_seconds
    if inputs.book_age_seconds is not None and inputs.book_age_seconds > age:
        what, age = "order book", inputs.book_age_seconds
    if age <= STALE_SECONDS:
        return None
    severity: Severity = "CRITICAL" if age > STALE_CRITICAL_SECONDS else "WARN"
    return Anomaly(kind="stale_data", severity=severity, message=f"no {what} for {age:.0f} s", value=age,
                   threshold=STALE_SECONDS)


# --- alerts -------------------------------------------------------------------------------------

_CLAIM = """
local current = redis.call('GET', KEYS[1])
if current then
  local rank, at = string.match(current, '(%d+):(%d+)')
  if tonumber(ARGV[2]) <= tonumber(rank) and tonumber(ARGV[1]) - tonumber(at) < tonumber(ARGV[3]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[2] .. ':' .. ARGV[1], 'EX', ARGV[4])
return 1
"""


def publish_alerts(client: redis.Redis, keys: Keys, snapshot: MarketSnapshot) -> list[Alert]:
    """Publish the snapshot's anomalies that are news; forget the kinds it no longer shows."""
    claim = client.register_script(_CLAIM)
    at_ms = to_ms(snapshot.at)
    repeat_ms = int(ALERT_REPEAT.total_seconds() * 1000)
    ttl = int(ALERT_REPEAT.total_seconds() * 2)
    sent: list[Alert] = []
    for anomaly in snapshot.anomalies:
        key = keys.alert_dedup(anomaly.kind, snapshot.inst_id)
        if claim(keys=[key], args=[at_ms, SEVERITY_RANK[anomaly.severity], repeat_ms, ttl]):
            alert = _alert(snapshot, anomaly)
            publish(client, keys, MARKET_ALERTS, alert)
            sent.append(alert)
    shown = {anomaly.kind for anomaly in snapshot.anomalies}
    cleared = [kind for kind in ANOMALY_KINDS if kind not in shown]
    with client.pipeline(transaction=False) as pipe:
        for kind in cleared:
            pipe.delete(keys.alert_dedup(kind, snapshot.inst_id))
        ended = dict(zip(cleared, pipe.execute(), strict=True))
    if ended.get("stale_data"):  # this snapshot ended the episode (DEL answers 1 to one caller only)
        alert = _recovered(snapshot)
        publish(client, keys, MARKET_ALERTS, alert)
        sent.append(alert)
    return sent


def _recovered(snapshot: MarketSnapshot) -> Alert:
    return Alert(severity="INFO", kind="stale_data_recovered", inst_id=snapshot.inst_id, ts=snapshot.at,
                 message=f"{snapshot.inst_id}: market data fresh again: the gate no longer refuses entries as stale",
                 data={"price": str(snapshot.price)})


def _alert(snapshot: MarketSnapshot, anomaly: Anomaly) -> Alert:
    return Alert(
        severity=anomaly.severity,
        kind=anomaly.kind,
        message=f"{snapshot.inst_id}: {anomaly.message}",
        inst_id=snapshot.inst_id,
        data={"value": anomaly.value, "threshold": anomaly.threshold, "price": str(snapshot.price)},
        ts=snapshot.at,
    )
