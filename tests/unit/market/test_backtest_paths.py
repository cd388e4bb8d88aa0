"""On real 15m candles: the precomputed backtest path equals building each snapshot bar by bar, and
changing anything after `t` (bars, ticker, funding, open interest) leaves the snapshot at `t` alone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from tests.kit.candles import shared_frame
from trading_bot.backtest.source import memory_builder, precomputed_builder
from trading_bot.clock import from_ms
from trading_bot.domain.market import BookLevel, FundingRate, OpenInterest, OrderBook, Ticker
from trading_bot.market.frame import CandleFrame
from trading_bot.market.sources import MarketState

pytestmark = pytest.mark.shared

INST = "BTC-USDT-SWAP"
FIRST, BARS = 96_000, 9_000  # 2025-09-27 … 2025-12-30 of the 15m file


@pytest.fixture(scope="module")
def base(shared_dir) -> CandleFrame:  # noqa: ANN001
    return shared_frame(shared_dir).slice(FIRST, FIRST + BARS)


@pytest.fixture(scope="module")
def state(shared_dir, base: CandleFrame) -> MarketState:  # noqa: ANN001
    rates = pd.read_csv(shared_dir / "data" / "okx_BTC-USDT-SWAP_funding-rate_8h_20251013-20260115.csv.gz")
    funding = [FundingRate(inst_id=INST, rate=Decimal(repr(rate)), next_rate=None, funding_time=from_ms(ts),
                           next_funding_time=from_ms(ts) + timedelta(hours=8), ts=from_ms(ts))
               for ts, rate in zip(rates["ts_ms"], rates["funding_rate"], strict=True)]
    start = base.open_time(0)
    oi = [OpenInterest(inst_id=INST, oi=Decimal(3_000_000 + (k % 97) * 9_000), oi_ccy=Decimal(30_000), oi_usd=None,
                       ts=start + timedelta(minutes=5 * k)) for k in range(BARS * 3)]
    books = [OrderBook(inst_id=INST, ts=base.close_time(i),
                       bids=[BookLevel(price=Decimal(repr(float(base.close[i]))) - Decimal("0.1"), size=Decimal(5))],
                       asks=[BookLevel(price=Decimal(repr(float(base.close[i]))) + Decimal("0.1"), size=Decimal(3))])
             for i in range(0, BARS, 50)]
    return MarketState(funding=funding, open_interest=oi, books=books)


def _times(base: CandleFrame, count: int = 25) -> list:
    rng = np.random.default_rng(11)
    picks = sorted(rng.choice(np.arange(3_300, BARS - 10), count, replace=False).tolist())
    # on bar closes, and a few minutes after one (the next bar forming)
    return [base.close_time(i) + timedelta(minutes=int(rng.integers(0, 15)) if k % 3 == 0 else 0)
            for k, i in enumerate(picks)]


def test_precomputed_snapshots_equal_bar_by_bar_snapshots(base: CandleFrame, state: MarketState) -> None:
    precomputed = precomputed_builder(INST, base, state)
    bar_by_bar = memory_builder(INST, base, state)
    for at in _times(base):
        expected = bar_by_bar.build(at)
        assert precomputed.build(at) == expected, at
        assert all(expected.timeframes[tf].indicators.ema200 is not None for tf in ("15m", "1H", "4H"))
        assert expected.funding is not None and expected.oi_change_1h_pct is not None and expected.book is not None


def _altered_after(base: CandleFrame, at) -> CandleFrame:  # noqa: ANN001
    """Every bar that closes after `at` (the one forming at `at` too) with other prices and volume."""
    future = base.ts + base.step_ms > int(at.timestamp() * 1000)
    factor = np.where(future, 1.37, 1.0)
    return replace(base, open=base.open * factor, high=base.high * np.where(future, 1.40, 1.0),
                   low=base.low * np.where(future, 1.30, 1.0), close=base.close * factor,
                   volume=base.volume * np.where(future, 5.0, 1.0))


def _state_plus_future(state: MarketState, at) -> MarketState:  # noqa: ANN001
    later = at + timedelta(seconds=1)
    return MarketState(
        tickers=[*state.tickers, Ticker(inst_id=INST, last=Decimal(1), bid=None, ask=None, ts=later)],
        funding=[*state.funding, FundingRate(inst_id=INST, rate=Decimal("0.01"), next_rate=None, funding_time=later,
                                             next_funding_time=None, ts=later)],
        open_interest=[*state.open_interest, OpenInterest(inst_id=INST, oi=Decimal(1), oi_ccy=Decimal(1),
                                                          oi_usd=None, ts=later)],
        books=state.books,
    )


@pytest.mark.parametrize("make", [memory_builder, precomputed_builder])
def test_changing_anything_after_t_leaves_the_snapshot_at_t_unchanged(make, base: CandleFrame,  # noqa: ANN001
                                                                     state: MarketState) -> None:
    for at in _times(base, 6 if make is memory_builder else 3):
        original = make(INST, base, state).build(at)
        altered = make(INST, _altered_after(base, at), _state_plus_future(state, at)).build(at)
        assert altered == original, at


def test_splitting_the_preparation_over_processes_changes_nothing(base: CandleFrame, monkeypatch) -> None:  # noqa: ANN001
    from trading_bot.market import window_pass
    from trading_bot.market.frame_series import FrameSeries

    frame = base.slice(0, 3_000)
    single = FrameSeries.compute(frame, 200)
    monkeypatch.setattr(window_pass, "MIN_BARS_PER_WORKER", 500)
    split = FrameSeries.compute(frame, 200, workers=2)
    np.testing.assert_array_equal(split.numbers, single.numbers)
    for name in ("poc", "value_area_high", "value_area_low", "status"):
        np.testing.assert_array_equal(getattr(split.profile, name), getattr(single.profile, name))
