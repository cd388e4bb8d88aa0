"""Confidence calibration buckets, counted by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from trading_bot.backtest.calibration import calibration
from trading_bot.backtest.inputs import ClosedTrade

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _trade(confidence: float | None, pnl: str) -> ClosedTrade:
    return ClosedTrade(entry_ts=T0, exit_ts=T0 + timedelta(hours=1), pnl=Decimal(pnl), confidence=confidence)


def test_buckets_hold_stated_and_realised() -> None:
    trades = [_trade(0.7, "1"), _trade(0.79, "-1"), _trade(0.75, "2"),  # 0.7–0.8: 2 of 3 won, mean 0.7467
              _trade(1.0, "1"), _trade(0.95, "0"),  # 0.9–1.0 includes 1.0; a breakeven is not a win
              _trade(0.55, "-3"), _trade(None, "5")]  # no confidence: left out
    buckets = calibration(trades)
    assert [(b.label, b.trades) for b in buckets] == [("0.5–0.6", 1), ("0.7–0.8", 3), ("0.9–1.0", 2)]
    middle = buckets[1]
    assert middle.stated == pytest.approx((0.7 + 0.79 + 0.75) / 3) and middle.realised == pytest.approx(2 / 3)
    assert middle.gap == pytest.approx(2 / 3 - (0.7 + 0.79 + 0.75) / 3)
    assert buckets[2].realised == 0.5 and buckets[0].realised == 0.0


def test_edges_and_bad_values() -> None:
    assert calibration([_trade(0.6, "1")])[0].label == "0.6–0.7"  # 0.6 / 0.1 is 5.999… in floats
    assert calibration([]) == []
    with pytest.raises(ValueError, match="outside 0..1"):
        calibration([_trade(1.5, "1")])
    with pytest.raises(ValueError, match="bucket width"):
        calibration([], width=0)
