"""The candle rule (domain/ohlc.py) as the Candle model, CandleFrame and OKX parsing apply it, and the
real shared files obeying it row by row."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from trading_bot.domain.market import Candle, invalid_candle
from trading_bot.domain.ohlc import bar_problem, first_bad_bar
from trading_bot.exchange.okx import parse
from trading_bot.exchange.okx.values import ParseError
from trading_bot.market.candle_files import read_table
from trading_bot.market.frame import CandleFrame

T0 = datetime(2026, 1, 5, tzinfo=UTC)
GOOD = ("100", "105", "99", "104", "1.5")  # open, high, low, close, volume
# (open, high, low, close, volume) → what the Candle model says
BROKEN = [
    (("100", "98", "99", "99", "1"), "high 98 is below low 99"),
    (("100", "99.5", "99", "99", "1"), "high 99.5 is below open 100"),
    (("99", "99.5", "98", "100", "1"), "high 99.5 is below close 100"),
    (("100", "105", "101", "103", "1"), "low 101 is above open 100"),
    (("103", "105", "101", "100", "1"), "low 101 is above close 100"),
    (("-1", "105", "99", "104", "1"), "open -1 is not above 0"),
    (("100", "105", "0", "104", "1"), "low 0 is not above 0"),
    (("100", "105", "99", "104", "-0.5"), "volume -0.5 is negative"),
    (("100", "105", "99", "NaN", "1"), "close: Input should be a finite number"),
    (("100", "Infinity", "99", "104", "1"), "high: Input should be a finite number"),
    (("100", "105", "99", "104", "NaN"), "volume: Input should be a finite number"),
]


def _candle(o: str, h: str, low: str, c: str, v: str) -> Candle:
    return Candle(inst_id="BTC-USDT-SWAP", timeframe="15m", ts=T0, open=o, high=h, low=low, close=c, volume=v,
                  volume_ccy=v, volume_quote=v, confirmed=True)


@pytest.mark.parametrize(("bar", "reason"), BROKEN)
def test_a_candle_breaking_the_rule_is_refused_with_the_reason(bar: tuple[str, ...], reason: str) -> None:
    with pytest.raises(ValidationError) as refused:
        _candle(*bar)
    assert invalid_candle(refused.value) == reason


def test_a_flat_bar_without_trades_is_a_candle() -> None:
    flat = _candle("100", "100", "100", "100", "0")  # the real 15m file has one (2023: no trade in 15 minutes)
    assert (flat.high, flat.low, flat.volume) == (Decimal(100), Decimal(100), Decimal(0))
    assert _candle(*GOOD).close == Decimal(104)


@pytest.mark.parametrize(("bar", "reason"), BROKEN)
def test_the_vectorised_rule_finds_the_same_bars(bar: tuple[str, ...], reason: str) -> None:
    columns = [np.array([float(good), float(bad), float(good)]) for good, bad in zip(GOOD, bar, strict=True)]
    assert first_bad_bar(*columns) == 1
    assert first_bad_bar(*(np.array([float(g)] * 3) for g in GOOD)) is None
    if ":" not in reason:  # pydantic refuses NaN/inf before the rule; the rule itself says why too
        values = [Decimal(x) for x in bar]
        assert bar_problem(*values[:4], volume=values[4]) == reason


def test_a_candle_frame_refuses_a_bad_bar_naming_its_time() -> None:
    stamps = np.array([0, 900_000, 1_800_000], dtype=np.int64) + 1_767_571_200_000
    with pytest.raises(ValueError, match=r"^CandleFrame bar 2026-01-05 00:15Z: high 98.0 is below low 99.0$"):
        CandleFrame.from_arrays("15m", stamps, [100, 100, 100], [101, 98, 101], [99, 99, 99], [100, 99, 100],
                                [1, 1, 1])
    with pytest.raises(ValueError, match=r"^CandleFrame bar 2026-01-05 00:30Z: volume NaN is not a finite number$"):
        CandleFrame.from_arrays("15m", stamps, [100] * 3, [101] * 3, [99] * 3, [100] * 3, [1, 1, np.nan])


def test_an_okx_row_breaking_the_rule_is_a_bad_candle_naming_instrument_timeframe_and_time() -> None:
    row = ["1767571200000", "100", "98", "99", "99", "10", "0.1", "9.9", "1"]
    with pytest.raises(parse.BadCandle) as refused:
        parse.candle(row, "BTC-USDT-SWAP", "15m")
    assert refused.value.fields() == {"instrument": "BTC-USDT-SWAP", "timeframe": "15m",
                                      "ts": "2026-01-05T00:00:00+00:00", "reason": "high 98 is below low 99"}
    with pytest.raises(parse.BadCandle, match="candle field 'x' is not a number"):
        parse.candle([*row[:2], "x", *row[3:]], "BTC-USDT-SWAP", "15m")
    with pytest.raises(ParseError) as no_time:
        parse.candle(["x", *row[1:]], "BTC-USDT-SWAP", "15m")
    assert not isinstance(no_time.value, parse.BadCandle)  # without a bar time there is nothing to name


@pytest.mark.shared
@pytest.mark.parametrize(("name", "rows", "zero_volume"), [
    ("okx_BTC-USDT-SWAP_15m_20230101-20260418.feather", 115_506, 1),
    ("okx_BTC-USDT-SWAP_15m_20230101-20260418.csv.gz", 115_506, 1),
    ("okx_BTC-USDT-SWAP_1m_20260101-20260116.feather", 22_078, 0),
    ("okx_BTC-USDT-SWAP_1m_20260101-20260116.csv.gz", 22_078, 0),
])
def test_every_row_of_the_real_files_obeys_the_rule(shared_dir: Path, name: str, rows: int, zero_volume: int) -> None:
    table = read_table(shared_dir / "data" / name)  # refuses the whole file at its first bad row
    assert len(table) == rows
    assert int((table.columns["volume"].astype(np.float64) == 0).sum()) == zero_volume
