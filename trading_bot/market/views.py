"""Timeframe views of a snapshot, two ways: one window fetched per snapshot (live), or indicators
prepared once over a whole history and looked up per bar (backtest). Both run `analyse_bar` on the
same window of a bar, so they return equal views."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from trading_bot.domain.market import Candle
from trading_bot.domain.snapshot import TimeframeView
from trading_bot.market.frame import CandleFrame, Window, tail_window
from trading_bot.market.frame_series import FrameSeries
from trading_bot.market.indicators import (
    DEFAULT_LOOKBACK,
    WindowAnalysis,
    analyse,
    analyse_bar,
)
from trading_bot.market.sources import MarketSource


class TimeframeViews(Protocol):
    def view(self, timeframe: str, at: datetime) -> tuple[TimeframeView, CandleFrame]:
        """The view of `timeframe` at `at` and the window of closed bars it was computed over."""
        ...


def _view(timeframe: str, window: CandleFrame, analysis: WindowAnalysis, forming: Candle | None) -> TimeframeView:
    return TimeframeView(
        timeframe=timeframe,
        bars=len(window),
        last_closed=window.open_time(len(window) - 1) if len(window) else None,
        indicators=analysis.indicators,
        regime=analysis.regime,
        regime_missing=analysis.regime_missing,
        forming=forming,
    )


class WindowViews:
    """Live: fetch the last `lookback` closed bars and analyse them."""

    def __init__(self, source: MarketSource, lookback: int = DEFAULT_LOOKBACK) -> None:
        self.source = source
        self.lookback = lookback

    def view(self, timeframe: str, at: datetime) -> tuple[TimeframeView, CandleFrame]:
        window: Window = tail_window(self.source.closed_candles(timeframe, at, self.lookback), self.lookback)
        forming = self.source.forming_candle(timeframe, at)
        return _view(timeframe, window.frame, analyse(window, self.lookback), forming), window.frame


class PrecomputedViews:
    """Backtest: bounded-memory series prepared once per timeframe; each bar analysed once (the last
    view per timeframe is kept, which serves a backtest walking forward: an hourly view is asked for
    by four 15-minute snapshots in a row)."""

    def __init__(self, source: MarketSource, frames: dict[str, CandleFrame], lookback: int = DEFAULT_LOOKBACK,
                 workers: int = 1) -> None:
        self.source = source
        self.frames = frames
        self.series = {timeframe: FrameSeries.compute(frame, lookback, workers=workers)
                       for timeframe, frame in frames.items()}
        self._last: dict[str, tuple[int, TimeframeView, CandleFrame]] = {}

    def view(self, timeframe: str, at: datetime) -> tuple[TimeframeView, CandleFrame]:
        index = self.frames[timeframe].closed_count(at) - 1
        cached = self._last.get(timeframe)
        if cached is None or cached[0] != index:
            cached = self._last[timeframe] = (index, *self._build(timeframe, index))
        _, view, window = cached
        forming = self.source.forming_candle(timeframe, at)
        return (view if forming is None else view.model_copy(update={"forming": forming})), window

    def _build(self, timeframe: str, index: int) -> tuple[TimeframeView, CandleFrame]:
        if index < 0:
            window = CandleFrame.empty(timeframe)
            analysis = analyse(Window(window))
        else:
            series = self.series[timeframe]
            window = self.frames[timeframe].slice(int(series.starts[index]), index + 1)
            analysis = analyse_bar(series, index)
        return _view(timeframe, window, analysis, None), window
