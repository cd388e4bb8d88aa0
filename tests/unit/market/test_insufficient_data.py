"""Too little data (0, 10 candles, gaps) still gives a valid snapshot: None fields with reasons, never
NaN or inf, in the model or its JSON."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pytest

from tests.kit.candles import START, frame
from trading_bot.domain.market import Ticker
from trading_bot.domain.snapshot import IndicatorSet, MarketSnapshot
from trading_bot.market.frame import CandleFrame, Window, tail_window
from trading_bot.market.indicators import analyse
from trading_bot.market.snapshot import SnapshotBuilder, SnapshotUnavailable
from trading_bot.market.sources import MarketState, MemorySource
from trading_bot.market.unavailable import Unavailable


def _no_nan(value: object) -> None:
    if isinstance(value, float):
        assert math.isfinite(value)
    elif isinstance(value, dict):
        for item in value.values():
            _no_nan(item)
    elif isinstance(value, list):
        for item in value:
            _no_nan(item)


def _snapshot(frames: dict[str, CandleFrame], at, state: MarketState | None = None) -> MarketSnapshot:  # noqa: ANN001
    return SnapshotBuilder(MemorySource("BTC-USDT-SWAP", frames, state)).build(at)


def test_zero_candles_with_a_ticker_gives_a_snapshot_where_every_indicator_says_why_it_is_missing() -> None:
    ticker = Ticker(inst_id="BTC-USDT-SWAP", last=Decimal("95000.5"), bid=None, ask=None, ts=START)
    snap = _snapshot({}, START + timedelta(seconds=10), MarketState(tickers=[ticker]))
    assert snap.price == Decimal("95000.5")
    for timeframe in ("15m", "1H", "4H"):
        view = snap.timeframes[timeframe]
        assert view.bars == 0 and view.last_closed is None and view.regime is None
        assert view.regime_missing == "no closed bars"
        fields = set(IndicatorSet.model_fields) - {"missing", "supports", "resistances"}
        assert all(getattr(view.indicators, name) is None for name in fields)
        assert set(view.indicators.missing) >= fields
    assert snap.price_change_1h_pct is None and "price_change_1h_pct" in snap.missing
    _no_nan(json.loads(snap.model_dump_json()))


def test_no_candle_and_no_ticker_is_an_error_not_a_made_up_price() -> None:
    with pytest.raises(SnapshotUnavailable, match="no ticker and no closed 15m bar"):
        _snapshot({}, START)


def test_ten_candles_give_what_ten_candles_allow() -> None:
    bars = frame(100 + np.arange(10.0))
    snap = _snapshot({"15m": bars}, bars.close_time(9))
    ind = snap.timeframes["15m"].indicators
    assert snap.timeframes["15m"].bars == 10
    assert ind.close == 109.0 and ind.obv is not None and ind.ichimoku_tenkan is not None
    assert ind.rsi is None and ind.missing["rsi"] == "needs 15 closed bars, has 10"
    assert ind.ema200 is None and ind.missing["ema200"] == "needs 200 closed bars, has 10"
    assert ind.rsi_zone is None and ind.missing["rsi_zone"] == "rsi: needs 15 closed bars, has 10"
    assert ind.macd_cross is None and ind.missing["macd_cross"] == "needs 35 closed bars, has 10"
    assert snap.price == Decimal("109.0")
    _no_nan(json.loads(snap.model_dump_json()))


def test_the_price_age_is_that_of_the_ticker_or_of_the_newer_close_that_stands_in_for_it() -> None:
    bars = frame(100 + np.arange(10.0))
    at = bars.close_time(9) + timedelta(seconds=30)
    older = Ticker(inst_id="BTC-USDT-SWAP", last=Decimal("108.5"), bid=None, ask=None, ts=at - timedelta(seconds=95))
    snap = _snapshot({"15m": bars}, at, MarketState(tickers=[older]))
    assert snap.price == Decimal("109.0") and snap.freshness_seconds["price"] == 30.0
    assert snap.freshness_seconds["ticker"] == 95.0
    assert [a.message for a in snap.anomalies if a.kind == "stale_data"] == ["no ticker for 95 s"]
    newer = older.model_copy(update={"ts": at - timedelta(seconds=2)})
    snap = _snapshot({"15m": bars}, at, MarketState(tickers=[newer]))
    assert snap.price == Decimal("108.5") and snap.freshness_seconds["price"] == 2.0
    assert [a for a in snap.anomalies if a.kind == "stale_data"] == []


class LatestOnly(MemorySource):
    """Like the live source, the newest ticker only; ws-public writes a newer one while the candles
    load (the indicator pass takes longer than the ~100 ms between two ticker pushes)."""

    def __init__(self, frames: dict[str, CandleFrame], ticker: Ticker) -> None:
        super().__init__("BTC-USDT-SWAP", frames)
        self.latest = ticker

    def closed_candles(self, timeframe: str, at, limit: int) -> CandleFrame:  # noqa: ANN001
        self.latest = self.latest.model_copy(update={"ts": at + timedelta(milliseconds=80)})
        return super().closed_candles(timeframe, at, limit)

    def ticker(self, at) -> Ticker | Unavailable:  # noqa: ANN001
        return self.latest if self.latest.ts <= at else Unavailable("the latest ticker is newer than the snapshot time")


def test_the_latest_state_is_read_first_so_a_push_during_the_indicator_pass_is_not_future_data() -> None:
    bars = frame(100 + np.arange(10.0))
    at = bars.close_time(9) + timedelta(seconds=30)
    ticker = Ticker(inst_id="BTC-USDT-SWAP", last=Decimal("109.5"), bid=None, ask=None, ts=at - timedelta(seconds=1))
    snap = SnapshotBuilder(LatestOnly({"15m": bars}, ticker)).build(at)
    assert "ticker" not in snap.missing
    assert snap.ticker == ticker and snap.price == Decimal("109.5") and snap.freshness_seconds["price"] == 1.0


def test_a_gap_shortens_the_window_to_the_bars_after_it_and_the_reasons_say_so() -> None:
    bars = frame(100 + np.sin(np.arange(300) / 5.0))
    gapped = CandleFrame.from_arrays("15m", np.r_[bars.ts[:250], bars.ts[251:]], *(
        np.r_[getattr(bars, c)[:250], getattr(bars, c)[251:]] for c in ("open", "high", "low", "close", "volume")))
    window = tail_window(gapped, 200)
    assert len(window.frame) == 49 and window.gap_before == bars.open_time(251)
    snap = _snapshot({"15m": gapped}, bars.close_time(299))
    ind = snap.timeframes["15m"].indicators
    assert snap.timeframes["15m"].bars == 49
    assert ind.rsi is not None and ind.ema200 is None
    assert ind.missing["ema200"] == "needs 200 consecutive closed bars, has 49 (gap before 2026-01-07 14:45Z)"


def test_flat_prices_never_produce_nan() -> None:
    bars = frame(np.full(250, 100.0), spread=0.0, volumes=np.zeros(250))
    result = analyse(Window(bars.slice(50, 250)))
    _no_nan(result.indicators.model_dump())
    assert result.indicators.bb_position is None
    assert result.indicators.missing["bb_position"] == "the Bollinger bands have zero width (flat prices)"
    assert result.indicators.missing["vwap"] == "no volume since 00:00 UTC"


def test_the_models_refuse_nan() -> None:
    with pytest.raises(ValueError):
        IndicatorSet(rsi=float("nan"))
