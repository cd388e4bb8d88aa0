"""The live source (PostgreSQL + Redis) against the in-memory source on the same data, and look-ahead."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import redis
from sqlalchemy import event

from tests.integration.market.conftest import INST, StoredMarket
from trading_bot.domain.market import OpenInterest, Ticker
from trading_bot.market.live_source import LiveSource
from trading_bot.market.snapshot import SnapshotBuilder
from trading_bot.storage import market_state
from trading_bot.storage.repos.candles import upsert_candles

pytestmark = pytest.mark.shared


class RoundTrips:
    """Counts what goes over the wire: SQL statements on the engine, sends on a Redis client's
    connections (a pipeline is one send)."""

    def __init__(self, database, redis_url: str) -> None:  # noqa: ANN001
        self.sql = self.redis = 0
        event.listen(database.engine, "before_cursor_execute", self._statement)
        counter = self

        class Counting(redis.Connection):
            def send_packed_command(self, command, check_health=True) -> None:  # noqa: ANN001
                counter.redis += 1
                super().send_packed_command(command, check_health)

        self.client = redis.Redis(connection_pool=redis.ConnectionPool.from_url(
            redis_url, connection_class=Counting, decode_responses=True))
        self.client.ping()  # (a new connection's handshake is not the snapshot's)
        self.redis = 0
        self.database = database

    def _statement(self, *args) -> None:  # noqa: ANN002
        self.sql += 1

    def close(self) -> None:
        event.remove(self.database.engine, "before_cursor_execute", self._statement)
        self.client.close()


def test_live_and_memory_sources_give_identical_snapshots(stored_market: StoredMarket, database, redis_client,  # noqa: ANN001
                                                          keys, redis_url: str) -> None:
    memory_source = stored_market.memory_source()
    memory = SnapshotBuilder(memory_source).build(stored_market.at)
    trips = RoundTrips(database, redis_url)
    try:
        live = SnapshotBuilder(LiveSource(INST, database, trips.client, keys)).build(stored_market.at)
    finally:
        trips.close()
    assert live == memory
    # one statement for every timeframe's candles, one Redis round trip for the rest
    assert (trips.sql, trips.redis) == (1, 1)
    # a read outside that batch (another window length) gets the same bars
    shorter = LiveSource(INST, database, redis_client, keys).closed_candles("1H", stored_market.at, 50)
    expected = memory_source.closed_candles("1H", stored_market.at, 50)
    assert len(shorter) == 50 and list(shorter.ts) == list(expected.ts) and list(shorter.close) == list(expected.close)
    assert live.model_dump_json() == memory.model_dump_json()
    # and the snapshot is complete: every part present, nothing missing at the snapshot level
    assert live.missing == {}
    assert [live.timeframes[tf].bars for tf in ("15m", "1H", "4H")] == [200, 200, 200]
    assert all(view.regime is not None and view.indicators.missing == {} for view in live.timeframes.values())
    assert live.timeframes["15m"].forming == stored_market.forming[0]
    assert live.price == stored_market.state.tickers[0].last
    assert live.book is not None and live.book.bid_depth == Decimal(10 + 11 + 12 + 13 + 14)
    # OI 1 minute ago vs the sample taken 61 minutes ago (1 + 2 × 30), contracts 2,000,000 + 1,500 k
    assert live.oi_change_1h_pct == pytest.approx((2_000_000 / 2_045_000 - 1) * 100)
    assert {a.kind for a in live.anomalies} == {"funding_spike"}  # 0.061 % > 0.05 %
    assert live.freshness_seconds["ticker"] == 2.0 and live.freshness_seconds["candles_15m"] == 20.0
    assert live.freshness_seconds["price"] == 2.0  # the ticker is newer than the last close


def test_changing_data_after_t_does_not_change_the_live_snapshot_at_t(stored_market: StoredMarket, database,  # noqa: ANN001
                                                                     redis_client, keys) -> None:
    t = stored_market.at - timedelta(days=3, minutes=8)

    def snapshot_at_t():  # noqa: ANN202 (a new source: one reads once per snapshot time)
        return SnapshotBuilder(LiveSource(INST, database, redis_client, keys)).build(t)

    before = snapshot_at_t()
    assert before.missing["ticker"] == "the latest ticker is newer than the snapshot time and no history is kept"
    altered = [c.model_copy(update={"high": c.high * 2, "close": c.close * Decimal("1.5"),
                                    "volume_ccy": c.volume_ccy * 9})
               for rows in stored_market.candles.values() for c in rows if c.close_time > t]
    upsert_candles(database, altered)
    market_state.put_latest(redis_client, keys.ticker(INST), Ticker(inst_id=INST, last=Decimal(1), bid=None, ask=None,
                                                                    ts=t + timedelta(seconds=1)))
    market_state.record_open_interest(redis_client, keys, OpenInterest(inst_id=INST, oi=Decimal(1), oi_ccy=Decimal(1),
                                                                       oi_usd=None, ts=t + timedelta(seconds=1)))
    assert snapshot_at_t() == before


def test_open_interest_history_answers_as_of_a_time_and_forgets_old_samples(redis_client, keys) -> None:  # noqa: ANN001
    start = OpenInterest(inst_id=INST, oi=Decimal(100), oi_ccy=Decimal(1), oi_usd=None,
                         ts=Ticker.model_fields["ts"].annotation.fromisoformat("2026-01-05T00:00:00+00:00"))
    samples = [start.model_copy(update={"oi": Decimal(100 + k), "ts": start.ts + timedelta(minutes=30 * k)})
               for k in range(10)]
    for sample in samples:
        market_state.record_open_interest(redis_client, keys, sample)
    assert market_state.open_interest_at(redis_client, keys, INST, start.ts + timedelta(minutes=95)) == samples[3]
    assert market_state.open_interest_at(redis_client, keys, INST, samples[-1].ts) == samples[-1]
    assert market_state.get_latest(redis_client, keys.open_interest(INST), OpenInterest) == samples[-1]
    # retention: three hours before the newest sample (4:30) -> samples from 1:30 on are kept
    assert market_state.open_interest_at(redis_client, keys, INST, start.ts + timedelta(minutes=80)) is None
    assert redis_client.zcard(keys.oi_history(INST)) == 7
