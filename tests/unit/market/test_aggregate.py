"""Exact aggregation into higher timeframes: Decimal candles and float frames, complete buckets only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from tests.kit.candles import FILE_1M, shared_frame, to_candles
from trading_bot.domain.market import Candle
from trading_bot.market.aggregate import AggregationReport, aggregate_candles, aggregate_frame


def _candle(minute: int, o: str, h: str, lo: str, c: str, v: str, confirmed: bool = True) -> Candle:
    volume = Decimal(v)
    ts = datetime(2026, 1, 5, 10, tzinfo=UTC) + timedelta(minutes=minute)
    return Candle(inst_id="BTC-USDT-SWAP", timeframe="1m", ts=ts,
                  open=Decimal(o), high=Decimal(h), low=Decimal(lo), close=Decimal(c), volume=volume,
                  volume_ccy=volume / 100, volume_quote=volume * 1000, confirmed=confirmed)


def test_fifteen_one_minute_bars_make_one_fifteen_minute_bar_exactly() -> None:
    bars = [_candle(m, "100.1", "100.3", "99.9", "100.2", "0.1") for m in range(15)]
    bars[3] = _candle(3, "100.2", "101.7", "100.0", "101.0", "1.3")
    bars[9] = _candle(9, "100.0", "100.4", "98.35", "99.0", "2.2")
    bars[14] = _candle(14, "99.0", "99.5", "98.9", "99.45", "0.3")
    report = AggregationReport()
    (bar,) = aggregate_candles(bars, "15m", report)
    assert (bar.ts, bar.timeframe, bar.confirmed) == (datetime(2026, 1, 5, 10, tzinfo=UTC), "15m", True)
    assert (bar.open, bar.high, bar.low, bar.close) == (Decimal("100.1"), Decimal("101.7"), Decimal("98.35"),
                                                       Decimal("99.45"))
    assert bar.volume == Decimal("0.1") * 12 + Decimal("1.3") + Decimal("2.2") + Decimal("0.3") == Decimal("5.0")
    assert bar.volume_ccy == Decimal("0.05") and bar.volume_quote == Decimal("5000.0")
    assert (report.built, report.incomplete) == (1, 0)


def test_incomplete_or_unconfirmed_buckets_are_left_out_and_counted() -> None:
    missing_one = [_candle(m, "1", "1", "1", "1", "1") for m in range(15) if m != 7]
    forming = [_candle(15 + m, "1", "1", "1", "1", "1", confirmed=m != 14) for m in range(15)]
    report = AggregationReport()
    assert list(aggregate_candles([*missing_one, *forming], "15m", report)) == []
    assert (report.built, report.incomplete) == (0, 2)


def test_refuses_what_cannot_be_aggregated_exactly() -> None:
    bars = [_candle(m, "1", "1", "1", "1", "1") for m in range(3)]
    with pytest.raises(ValueError, match="whole multiple"):
        list(aggregate_candles(bars, "1m"))
    with pytest.raises(ValueError, match="Hong Kong"):
        list(aggregate_candles(bars, "1D"))
    with pytest.raises(ValueError, match="time order"):
        list(aggregate_candles([bars[1], bars[0]], "15m"))


@pytest.mark.shared
def test_real_one_minute_bars_aggregate_to_the_real_fifteen_minute_bars(shared_dir) -> None:  # noqa: ANN001
    one_minute = shared_frame(shared_dir, FILE_1M, "1m")
    fifteen = shared_frame(shared_dir)
    built = aggregate_frame(one_minute, "15m")
    first = int(np.searchsorted(fifteen.ts, built.ts[0]))
    reference = fifteen.slice(first, first + len(built))
    assert len(built) == 1471
    np.testing.assert_array_equal(built.ts, reference.ts)
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(built, column), getattr(reference, column))
    np.testing.assert_allclose(built.volume, reference.volume, rtol=1e-12)
    hourly = list(aggregate_candles(to_candles(one_minute.slice(0, 600)), "1H"))
    frame_hourly = aggregate_frame(one_minute.slice(0, 600), "1H")
    assert [float(c.high) for c in hourly] == frame_hourly.high.tolist()
    assert [float(c.close) for c in hourly] == frame_hourly.close.tolist()


def test_file_times_become_epoch_milliseconds_whatever_the_parsed_resolution() -> None:
    import pandas as pd

    from trading_bot.market.candle_files import epoch_ms

    texts = pd.Series(["2023-01-01T00:15:00Z", "2026-04-18T04:15:00Z"])
    assert epoch_ms(texts).tolist() == [1672532100000, 1776485700000]
    assert epoch_ms(pd.to_datetime(texts, utc=True).dt.as_unit("ns")).tolist() == [1672532100000, 1776485700000]
