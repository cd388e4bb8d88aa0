"""ws-public against the simulator replaying real BTC-USDT-SWAP candles at 3600× speed: the
simulator cuts every connection twice, and afterwards the candles table still has every bar of
the replayed period with the source file's values; latest ticker/books/funding/OI are in Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import redis

from tests.integration.okx.conftest import adapter_for, data_files, endpoints_of
from trading_bot.domain.market import Candle, FundingRate, OpenInterest, OrderBook, Ticker, timeframe_delta
from trading_bot.ingest.public import PublicFeed
from trading_bot.services import heartbeat
from trading_bot.storage.db import Database
from trading_bot.storage.market_state import get_latest
from trading_bot.storage.repos.candles import fetch_candles
from trading_bot.storage.streams import Keys

pytestmark = [pytest.mark.shared, pytest.mark.slow]
INST = "BTC-USDT-SWAP"
START = datetime(2026, 1, 5, tzinfo=UTC)
RULES = {"15m": "15min", "1H": "1h", "4H": "4h"}


def source_bars(shared_dir: Path, timeframe: str) -> pd.DataFrame:
    frame = pd.read_feather(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather")
    frame = frame[(frame["date"] >= START - timedelta(days=40)) & (frame["date"] < START + timedelta(days=2))]
    bars = frame.set_index("date").resample(RULES[timeframe], label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    return bars


def assert_identical(stored: list[Candle], source: pd.DataFrame) -> None:
    for bar in stored:
        row = source.loc[pd.Timestamp(bar.ts)]
        expected = tuple(Decimal(repr(float(row[c]))) for c in ("open", "high", "low", "close"))
        assert (bar.open, bar.high, bar.low, bar.close) == expected, bar
        assert abs(float(bar.volume_ccy) - float(row["volume"])) < 1e-6, bar


async def until(predicate, timeout: float = 30.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_every_bar_identical_to_the_source_after_two_dropped_connections(
        shared_dir: Path, database: Database, redis_client: redis.Redis, keys: Keys) -> None:
    from tests.kit.sim import running_sim

    with running_sim(data=data_files(shared_dir), start=START, speed=3600) as sim:
        exchange = adapter_for(sim)
        feed = PublicFeed(exchange, database, redis_client, keys, endpoints_of(sim), [INST], oi_poll_seconds=0.5)
        task = asyncio.create_task(feed.run())
        try:
            for drop in (1, 2):
                await until(lambda d=drop: feed.business_ws.stats.connects == d and feed.candles.stats.written > 20)
                await asyncio.sleep(1.5)  # let some bars close on this connection
                assert sim.drop_websockets() >= 2
            await until(lambda: feed.business_ws.stats.connects == 3 and feed.public_ws.stats.connects == 3)
            await asyncio.sleep(3)  # three more market hours on the third connection
            await feed.backfill.wait_idle()
            await feed.stop()
            await asyncio.wait_for(task, 15)
        finally:
            task.cancel()
            exchange.close()
        market_now = datetime.fromtimestamp(int(sim.venue_state()["ts"]) / 1000, UTC)

    assert market_now - START > timedelta(hours=6)
    for timeframe in ("15m", "1H", "4H"):
        step = timeframe_delta(timeframe)
        stored = fetch_candles(database, INST, timeframe, confirmed_only=True)
        assert len(stored) >= 200
        gaps = [(a.ts, b.ts) for a, b in zip(stored, stored[1:], strict=False) if b.ts - a.ts != step]
        assert gaps == [], f"{timeframe} bars missing between {gaps}"
        assert stored[-1].ts >= market_now - 3 * step - timedelta(hours=1), (timeframe, stored[-1].ts, market_now)
        assert_identical(stored, source_bars(shared_dir, timeframe))
    assert feed.backfill.fetched > 3 * 200  # the startup backfill plus repairs after the drops

    ticker = get_latest(redis_client, keys.ticker(INST), Ticker)
    book = get_latest(redis_client, keys.books(INST), OrderBook)
    funding = get_latest(redis_client, keys.funding(INST), FundingRate)
    oi = get_latest(redis_client, keys.open_interest(INST), OpenInterest)
    assert ticker is not None and book is not None and funding is not None and oi is not None
    assert ticker.ts > START + timedelta(hours=5) and len(book.bids) == 5
    assert heartbeat.age_seconds(redis_client, keys, "ws-public") is not None
