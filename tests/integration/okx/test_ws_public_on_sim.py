"""`trading-bot ws-public` as a real process against the simulator replaying the real 15m file at
high speed: through two dropped connections, PostgreSQL ends up with every bar of the replayed
period, each identical to the source file (15m as recorded, 1H/4H as their exact aggregation)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.kit.candles import FILE_15M, shared_frame
from tests.kit.sim import running_sim
from tests.kit.sim_roles import connected, count, records, role, sim_env
from tests.kit.waiting import wait_until
from trading_bot.clock import from_ms
from trading_bot.domain.market import Candle, timeframe_delta
from trading_bot.ingest.backfill import floor_to
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import fetch_candles

BTC = "BTC-USDT-SWAP"
START = "2026-01-05T00:00:00Z"
SPEED = 3600.0  # one market hour per second: four 15m bars close every second
Bar = tuple[Decimal, Decimal, Decimal, Decimal, Decimal]  # open, high, low, close, volume (BTC)

pytestmark = [pytest.mark.shared, pytest.mark.slow]


def source_bars(shared_dir: Path) -> dict[datetime, Bar]:
    """The 15m file's bars by open time, as exact decimals of the recorded values."""
    frame = shared_frame(shared_dir, FILE_15M, "15m")
    dec = lambda values, i: Decimal(repr(float(values[i])))  # noqa: E731
    return {frame.open_time(i): (dec(frame.open, i), dec(frame.high, i), dec(frame.low, i), dec(frame.close, i),
                                 dec(frame.volume, i)) for i in range(len(frame))}


def aggregate(bars: dict[datetime, Bar], start: datetime, step: timedelta) -> Bar:
    parts = [bars[start + k * timedelta(minutes=15)] for k in range(step // timedelta(minutes=15))]
    return (parts[0][0], max(p[1] for p in parts), min(p[2] for p in parts), parts[-1][3], sum(p[4] for p in parts))


def stored(candle: Candle) -> Bar:
    return candle.open, candle.high, candle.low, candle.close, candle.volume_ccy


def closed_bars(db: Database, timeframe: str) -> dict[datetime, Candle]:
    return {c.ts: c for c in fetch_candles(db, BTC, timeframe, confirmed_only=True)}


def test_every_replayed_bar_is_stored_exactly_through_two_dropped_connections(
        shared_dir: Path, tmp_path: Path, db_url: str, redis_url: str, namespace: str, database: Database) -> None:
    source = source_bars(shared_dir)
    with running_sim(data=[shared_dir / "data" / FILE_15M], start=START) as sim:
        env = sim_env(sim, tmp_path, db_url, redis_url, namespace)
        with role("ws-public", env) as proc:
            proc.wait_for(connected("business"), timeout=40)
            replay_from = from_ms(int(sim.venue_state()["ts"]))
            sim.call(lambda s: s.control("speed", {"speed": SPEED}))
            for drop in (1, 2):
                time.sleep(3)
                assert sim.drop_websockets() >= 2  # public + business
                proc.wait_for(connected("business", times=drop + 1), timeout=20)
            time.sleep(3)
            replay_to = from_ms(int(sim.call(lambda s: s.control("speed", {"speed": 0}))["ts"]))

            def complete(timeframe: str) -> Callable[[], bool]:
                step = timeframe_delta(timeframe)
                last_closed = floor_to(replay_to, step) - step
                return lambda: last_closed in closed_bars(database, timeframe)

            for timeframe in ("15m", "1H"):
                wait_until(complete(timeframe), 20, f"the last closed {timeframe} bar before {replay_to}")
            time.sleep(0.5)  # a backfill still running writes the same values again, harmlessly
        assert "Traceback" not in proc.output, proc.output[-3000:]

    assert replay_to - replay_from >= timedelta(hours=8), "the replay was too short to mean anything"
    for timeframe in ("15m", "1H", "4H"):
        step = timeframe_delta(timeframe)
        bars = closed_bars(database, timeframe)
        first = min(bars)
        assert first <= replay_from - 100 * step, f"{timeframe}: the startup backfill is missing"
        expected = []
        at = first
        while at + step <= replay_to:
            expected.append(at)
            at += step
        missing = [ts for ts in expected if ts not in bars]
        assert missing == [], f"{timeframe}: {len(missing)} closed bars missing, first {missing[:5]}"
        for ts in expected:
            want = source[ts] if timeframe == "15m" else aggregate(source, ts, step)
            assert stored(bars[ts]) == want, f"{timeframe} bar {ts}: stored {stored(bars[ts])} != source {want}"
            assert bars[ts].volume == bars[ts].volume_ccy * 100  # contracts of 0.01 BTC


def test_a_bad_bar_over_rest_or_the_websocket_is_refused_and_the_feed_goes_on(
        shared_dir: Path, tmp_path: Path, db_url: str, redis_url: str, namespace: str, database: Database) -> None:
    source = source_bars(shared_dir)
    opened = datetime(2026, 1, 5, tzinfo=UTC)  # the bar forming at START
    with running_sim(data=[shared_dir / "data" / FILE_15M], start=START, faults={"bad_candles": 1}) as sim:
        env = sim_env(sim, tmp_path, db_url, redis_url, namespace)
        with role("ws-public", env) as proc:
            proc.wait_for(connected("business"), timeout=40)  # after the startup backfill (its first row spoiled)
            sim.set_faults(bad_candles=1)  # the next candle pushed
            proc.wait_for(lambda out: count("candle_refused", source="ws")(out) == 1, timeout=20)
            sim.advance(minutes=30)  # 00:00 and 00:15 close
            wait_until(lambda: opened + timedelta(minutes=15) in closed_bars(database, "15m"), 20,
                       "the 00:15 bar closed after the refusals")
        assert "Traceback" not in proc.output, proc.output[-3000:]
    refusals = records(proc.output, "candle_refused")
    assert [{k: r[k] for k in ("source", "instrument", "timeframe", "ts")} for r in refusals] == [
        {"source": source, "instrument": BTC, "timeframe": "15m", "ts": opened.isoformat()} for source in ("rest", "ws")]
    assert all(re.fullmatch(r"high [0-9.]+ is below low [0-9.]+", r["reason"]) for r in refusals)
    bars = fetch_candles(database, BTC, "15m")
    assert all(bar.low <= min(bar.open, bar.close) and bar.high >= max(bar.open, bar.close) for bar in bars)
    closed = closed_bars(database, "15m")
    assert [stored(closed[opened + k * timedelta(minutes=15)]) for k in (0, 1)] == [
        source[opened + k * timedelta(minutes=15)] for k in (0, 1)]
