"""VWAP, Ichimoku, pivots, fractals and the volume profile on small frames computed by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from tests.kit.candles import frame
from trading_bot.market.frame import CandleFrame, Window
from trading_bot.market.indicators import analyse
from trading_bot.market.levels import find_fractals, support_resistance


def _bars(timeframe: str, start: datetime, highs, lows, closes, volumes) -> CandleFrame:  # noqa: ANN001
    return frame(closes, timeframe, start, highs=highs, lows=lows, volumes=volumes)


def test_vwap_sums_typical_price_times_volume_since_midnight_utc() -> None:
    bars = _bars("15m", datetime(2026, 1, 5, 23, 30, tzinfo=UTC),
                 highs=[50, 40, 12, 15, 21], lows=[30, 20, 6, 9, 12], closes=[40, 30, 9, 12, 15],
                 volumes=[100, 100, 2, 1, 3])
    # since 00:00: typical prices 9, 12, 16 with volumes 2, 1, 3 -> (18 + 12 + 48) / 6
    assert analyse(Window(bars)).indicators.vwap == 13.0
    assert analyse(Window(bars.slice(0, 3))).indicators.vwap == 9.0


def test_vwap_is_missing_when_the_window_does_not_reach_back_to_midnight_or_has_no_volume() -> None:
    late = _bars("15m", datetime(2026, 1, 5, 23, 30, tzinfo=UTC), highs=[50, 40], lows=[30, 20], closes=[40, 30],
                 volumes=[1, 1])
    result = analyse(Window(late)).indicators
    assert result.vwap is None
    assert result.missing["vwap"] == "the window starts after 00:00 UTC of the current day"
    quiet = _bars("15m", datetime(2026, 1, 6, tzinfo=UTC), highs=[2, 2], lows=[1, 1], closes=[1.5, 1.5], volumes=[0, 0])
    assert analyse(Window(quiet)).indicators.missing["vwap"] == "no volume since 00:00 UTC"


def _rising(count: int) -> CandleFrame:
    i = np.arange(count, dtype=float)
    return _bars("1H", datetime(2026, 1, 1, tzinfo=UTC), highs=100 + i, lows=90 + i, closes=95 + i,
                 volumes=np.ones(count))


def test_ichimoku_lines_and_the_cloud_drawn_25_bars_after_it_was_computed() -> None:
    ind = analyse(Window(_rising(80))).indicators
    assert ind.ichimoku_tenkan == (179 + 161) / 2  # highest high and lowest low of bars 71..79
    assert ind.ichimoku_kijun == (179 + 144) / 2  # bars 54..79
    assert ind.ichimoku_senkou_a == ((154 + 136) / 2 + (154 + 119) / 2) / 2  # tenkan and kijun of bar 54
    assert ind.ichimoku_senkou_b == (154 + 93) / 2  # bars 3..54
    assert "ichimoku_chikou" not in type(ind).model_fields


def test_ichimoku_spans_need_51_and_77_bars() -> None:
    ind = analyse(Window(_rising(60))).indicators
    assert ind.ichimoku_senkou_a is not None
    assert ind.ichimoku_senkou_b is None
    assert ind.missing["ichimoku_senkou_b"] == "needs 77 closed bars, has 60"


def test_floor_pivots_of_the_previous_utc_day() -> None:
    day = datetime(2026, 1, 5, tzinfo=UTC)
    bars = _bars("4H", day, highs=[10, 12, 15, 11, 9, 8, 9], lows=[5, 6, 7, 4, 6, 7, 8],
                 closes=[8, 9, 10, 6, 8, 7.5, 8.5], volumes=[1] * 7)
    pivots = analyse(Window(bars)).indicators.pivots
    assert pivots is not None
    p = (15 + 4 + 7.5) / 3
    assert pivots.pivot == pytest.approx(p, rel=1e-15)
    assert (pivots.r1, pivots.s1) == pytest.approx((2 * p - 4, 2 * p - 15), rel=1e-15)
    assert (pivots.r2, pivots.s2) == pytest.approx((p + 11, p - 11), rel=1e-15)
    assert (pivots.r3, pivots.s3) == pytest.approx((15 + 2 * (p - 4), 4 - 2 * (15 - p)), rel=1e-15)
    partial = analyse(Window(bars.slice(1, 7))).indicators
    assert partial.pivots is None
    assert partial.missing["pivots"] == "the window does not hold the whole previous UTC day"


HIGHS = [11, 12, 15, 12, 11, 13, 17, 13, 12, 11]
LOWS = [5, 4, 3, 4, 1, 4, 6, 2, 3, 4]


def test_fractals_need_two_strictly_lower_highs_or_higher_lows_on_each_side() -> None:
    bars = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), HIGHS, LOWS, [8] * 10, [1] * 10)
    fractals = find_fractals(bars)
    assert list(zip(fractals.at, fractals.price, strict=True)) == [(2, 15), (4, 1), (6, 17), (7, 2)]
    flat_top = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), [11, 12, 15, 15, 11, 10], [1] * 6, [5] * 6, [1] * 6)
    assert find_fractals(flat_top).at == []


def test_support_and_resistance_use_only_fractals_confirmed_two_bars_later() -> None:
    bars = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), HIGHS, LOWS, [8] * 10, [1] * 10)
    fractals = find_fractals(bars)
    assert support_resistance(fractals, 0, 9, 8.0, None) == ([2, 1], [15, 17])
    assert support_resistance(fractals, 0, 8, 8.0, None) == ([1], [15, 17])  # the low at bar 7 is not yet known
    assert support_resistance(fractals, 1, 9, 8.0, None) == ([2, 1], [17])  # bar 2 needs bar 0 inside the window


def test_volume_profile_point_of_control_and_value_area() -> None:
    # One wide bar sets the range 100..124 (24 rows of height 1); flat bars put their volume in one row.
    prices = [112] + [110.5] * 5 + [111.5] * 4 + [112.5] * 3 + [109.5] * 3 + [113.5] * 2 + [105.5] * 2
    volumes = [1] + [2] * 5 + [1] * 4 + [2] * 3 + [1] * 3 + [1] * 2 + [1] * 2
    highs = [124] + prices[1:]
    lows = [100] + prices[1:]
    bars = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), highs, lows, prices, volumes)
    profile = analyse(Window(bars)).indicators.volume_profile
    # rows: 110 -> 10, 111 -> 4, 112 -> 7, 109 -> 3, 113 -> 2, 105 -> 2; total 28, value area ≥ 19.6:
    # POC row 110 (10), then up to row 111 (4 > 3), then up to row 112 (7 > 3): 21 ≥ 19.6
    assert profile is not None
    assert (profile.poc, profile.value_area_low, profile.value_area_high) == (110.5, 110.0, 113.0)


def test_volume_profile_needs_20_bars_and_a_price_range() -> None:
    short = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), [2] * 19, [1] * 19, [1.5] * 19, [1] * 19)
    assert analyse(Window(short)).indicators.missing["volume_profile"] == "needs 20 closed bars, has 19"
    flat = _bars("15m", datetime(2026, 1, 5, tzinfo=UTC), [1] * 20, [1] * 20, [1] * 20, [1] * 20)
    assert analyse(Window(flat)).indicators.missing["volume_profile"] == "no price range in the window"
