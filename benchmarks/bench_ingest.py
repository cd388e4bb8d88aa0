"""Ingestion throughput of ws-public: OKX-format pushes → our WebSocket client → parsers → Redis
(latest ticker/books) and PostgreSQL (candles), on real Redis and PostgreSQL.

A firehose process (benchmarks/firehose.py) pushes BENCH_INGEST_RATE messages/s (default 5,000:
half closed 1m candles, half tickers/books5) for BENCH_INGEST_SECONDS (default 60) to the real
`PublicFeed`. Figures:
- messages/s received and processed (overall and the slowest 1-s window after warm-up);
- candles: every pushed bar must be in PostgreSQL; lag = the row's commit time (`updated_at`, the
  transaction time) minus the wall time the firehose sent the bar; p50/p99/max;
- latest state: lag = time committed to Redis minus the message's exchange timestamp `ts`.
Goal on this machine: ≥ 5,000 messages/s sustained for 60 s with p99 lag ≤ 500 ms.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import statistics
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from benchmarks.firehose import Plan, run

INSTRUMENTS = ["BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP", "XRP-USDT-SWAP", "DOGE-USDT-SWAP"]
RATE = int(os.environ.get("BENCH_INGEST_RATE", "5000"))
SECONDS = float(os.environ.get("BENCH_INGEST_SECONDS", "60"))
WARM_UP_SECONDS = 5


class QuietVenue:
    """The REST side of the feed (startup backfill, seed, open-interest poll) is not what is
    measured here: answer instantly with nothing to backfill."""

    def candles(self, inst_id: str, timeframe: str, limit: int = 100, before: Any = None) -> list[Any]:
        return []

    def server_time(self) -> datetime:
        return datetime.now(UTC)

    def ticker(self, inst_id: str) -> Any:
        from trading_bot.domain.market import Ticker

        return Ticker(inst_id=inst_id, last=Decimal(1), bid=None, ask=None, ts=self.server_time())

    def order_book(self, inst_id: str, depth: int = 5) -> Any:
        from trading_bot.domain.market import OrderBook

        return OrderBook(inst_id=inst_id, bids=[], asks=[], ts=self.server_time())

    def funding_rate(self, inst_id: str) -> Any:
        from trading_bot.domain.market import FundingRate

        now = self.server_time()
        return FundingRate(inst_id=inst_id, rate=Decimal(0), next_rate=None, funding_time=now,
                           next_funding_time=None, ts=now)

    def open_interest(self, inst_id: str) -> Any:
        from trading_bot.domain.market import OpenInterest

        return OpenInterest(inst_id=inst_id, oi=Decimal(0), oi_ccy=Decimal(0), oi_usd=None, ts=self.server_time())


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] if ordered else float("nan")


async def measure(feed: Any, seconds: float) -> list[float]:
    """Messages processed per second in consecutive ~1-s windows while the firehose runs."""
    rates: list[float] = []
    last_total, last_at = 0, time.monotonic()
    for _ in range(int(seconds) + 1):
        await asyncio.sleep(1)
        total, now = feed.public_ws.stats.messages + feed.business_ws.stats.messages, time.monotonic()
        rates.append((total - last_total) / (now - last_at))
        last_total, last_at = total, now
    return rates


async def drive(feed: Any, report: Any) -> tuple[list[float], dict[str, Any], float]:
    """Run the feed through the firehose; then wait until every sent message is processed (the
    backlog's drain time is part of the figures) and the last batches are committed."""
    task = asyncio.create_task(feed.run())
    samples = await measure(feed, SECONDS)
    result = await asyncio.to_thread(report.recv)
    sent = len(result["sent_candles"]) + result["sent_public"]
    drained_at = time.monotonic()
    while feed.public_ws.stats.messages + feed.business_ws.stats.messages < sent:
        if time.monotonic() - drained_at > 120:
            break
        await asyncio.sleep(0.05)
    drain = time.monotonic() - drained_at
    await feed.candles.flush()
    await feed.latest.flush()
    await feed.stop()
    await asyncio.wait_for(task, 30)
    return samples, result, drain


def main() -> None:
    from tests.kit import services
    from trading_bot.exchange.okx.endpoints import OkxEndpoints
    from trading_bot.ingest.public import PublicFeed
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database, dispose_engines, engine_for
    from trading_bot.storage.redis_client import redis_for
    from trading_bot.storage.streams import Keys

    port = services.free_port()
    parent, child = multiprocessing.Pipe()
    firehose = multiprocessing.get_context("spawn").Process(
        target=run, args=(Plan(port, RATE, SECONDS, INSTRUMENTS), child), daemon=True)
    with services.postgres_server() as admin, services.redis_server() as redis_url:
        name = services.create_database(admin, prefix="tb_bench")
        keys = Keys(f"bench{os.getpid()}")
        client = redis_for(redis_url)
        try:
            url = services.database_url(admin, name).replace("postgresql://", "postgresql+psycopg://")
            migrate.upgrade(url)
            db = Database(engine_for(url))
            firehose.start()
            assert parent.recv() == "ready"
            endpoints = OkxEndpoints(rest_url="", ws_public_url=f"ws://127.0.0.1:{port}/ws/v5/public",
                                     ws_private_url="", ws_business_url=f"ws://127.0.0.1:{port}/ws/v5/business",
                                     flag="1", credentials=None)
            feed = PublicFeed(QuietVenue(), db, client, keys, endpoints, INSTRUMENTS, timeframes=("1m",),  # type: ignore[arg-type]
                              oi_poll_seconds=3600)
            started, cpu_before = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
            samples, sent, drain = asyncio.run(drive(feed, parent))
            wall = time.monotonic() - started
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            cpu_seconds = cpu.ru_utime + cpu.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
            print_figures(db, feed, samples, sent, wall, drain)
            print(f"ws-public CPU          {cpu_seconds:.1f} s over {wall:.1f} s wall = {cpu_seconds / wall:.0%} of one core "
                  "(all its threads; PostgreSQL, Redis and the firehose are other processes)")
        finally:
            firehose.kill()
            for key in client.scan_iter(match=f"{keys.namespace}:*"):
                client.delete(key)
            dispose_engines()
            services.drop_database(admin, name)


def commit_lags(db: Any, sent_candles: dict[str, float]) -> tuple[list[float], int]:
    from sqlalchemy import text

    lags = []
    with db.session() as session:
        rows = session.execute(text("SELECT instrument, ts, updated_at FROM candles")).all()
    for instrument, ts, committed in rows:
        sent_at = sent_candles.get(f"{instrument}:{int(ts.timestamp() * 1000)}")
        if sent_at is not None:
            lags.append((committed.timestamp() - sent_at) * 1000)
    return lags, len(rows)


def print_figures(db: Any, feed: Any, samples: list[float], sent: dict[str, Any], wall: float, drain: float) -> None:
    sent_candles: dict[str, float] = sent["sent_candles"]
    pushed = len(sent_candles) + sent["sent_public"]
    lags, rows = commit_lags(db, sent_candles)
    steady = samples[WARM_UP_SECONDS:int(SECONDS)] or samples
    received = feed.public_ws.stats.messages + feed.business_ws.stats.messages
    redis_lags = feed.latest.stats.lags_ms
    print(f"target rate            {RATE:,} msg/s for {SECONDS:.0f} s; firehose sent {pushed:,} in {sent['seconds']:.1f} s "
          f"({pushed / sent['seconds']:,.0f} msg/s)")
    print(f"processed              {received:,} messages in {wall:.1f} s; per second after warm-up: "
          f"mean {statistics.mean(steady):,.0f}, min {min(steady):,.0f}, max {max(steady):,.0f}; backlog drained "
          f"{drain:.1f} s after the firehose stopped")
    print(f"PostgreSQL candles     {rows:,} rows for {len(sent_candles):,} pushed bars "
          f"({'none lost' if rows == len(sent_candles) else f'{len(sent_candles) - rows} MISSING'}); "
          f"{feed.candles.stats.flushes:,} batched upserts")
    print(f"  send → commit lag    p50 {percentile(lags, 50):.0f} ms, p99 {percentile(lags, 99):.0f} ms, "
          f"max {max(lags, default=float('nan')):.0f} ms")
    print(f"Redis latest state     {feed.latest.stats.written:,} key writes for {feed.latest.stats.received:,} messages "
          f"(coalesced), {feed.latest.stats.flushes:,} pipelined flushes")
    print(f"  exchange ts → commit p50 {percentile(redis_lags, 50):.0f} ms, p99 {percentile(redis_lags, 99):.0f} ms "
          f"(last {len(redis_lags):,} messages)")
    print(f"malformed / handler errors: {feed.public_ws.stats.malformed + feed.business_ws.stats.malformed} / "
          f"{feed.public_ws.stats.handler_errors + feed.business_ws.stats.handler_errors}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
