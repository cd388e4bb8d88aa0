"""The live snapshot as the pipeline and the CLI use it: settings → PostgreSQL + Redis → snapshot.

`collect` is the collect stage's market part: build the snapshot at `at` and publish its anomaly
alerts on `market:alerts` (deduplicated). `build_live` only builds (the `trading-bot snapshot`
command: looking must not alert anyone).
"""

from __future__ import annotations

from datetime import datetime

import redis

from trading_bot.config import Settings
from trading_bot.domain.market import SNAPSHOT_TIMEFRAMES
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.logs import get_logger
from trading_bot.market.anomalies import publish_alerts
from trading_bot.market.live_source import LiveSource
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.storage.db import Database
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys

log = get_logger(__name__)


def live_builder(settings: Settings, inst_id: str, db: Database | None = None,
                 client: redis.Redis | None = None) -> SnapshotBuilder:
    source = LiveSource(inst_id, db or Database.from_settings(settings), client or get_redis(settings),
                        Keys(settings.redis_namespace), SNAPSHOT_TIMEFRAMES, settings.snapshot_bars)
    return SnapshotBuilder(source, lookback=settings.snapshot_bars, timeframes=SNAPSHOT_TIMEFRAMES)


def build_live(settings: Settings, inst_id: str, at: datetime) -> MarketSnapshot:
    return live_builder(settings, inst_id).build(at)


def collect(settings: Settings, inst_id: str, at: datetime, db: Database | None = None,
            client: redis.Redis | None = None) -> MarketSnapshot:
    client = client or get_redis(settings)
    snapshot = live_builder(settings, inst_id, db, client).build(at)
    sent = publish_alerts(client, Keys(settings.redis_namespace), snapshot)
    for alert in sent:
        log.warning("market alert", kind=alert.kind, severity=alert.severity, inst_id=inst_id, message=alert.message)
    return snapshot
