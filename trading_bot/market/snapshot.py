"""The snapshot builder: one instrument at one time `at`, from any `MarketSource`.

Per timeframe (15m, 1H, 4H) the indicator set and regime of the last closed bars (the bar forming at
`at` is reported, never analysed); then the price (the newer of the ticker and the last 15m close),
the order-book summary, funding, mark price, open interest and its change over one hour, the price
change over one hour, anomaly flags and the age of every input (and of the price: the risk gate
refuses entries on a stale one). Only data stamped ≤ `at` is used.
What is missing is None with a reason in `missing` (snapshot level) or `indicators.missing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from trading_bot.clock import ensure_utc
from trading_bot.domain.market import (
    OI_CHANGE_SPAN,
    SNAPSHOT_TIMEFRAMES,
    FundingRate,
    MarkPrice,
    OpenInterest,
    OrderBook,
    Ticker,
)
from trading_bot.domain.snapshot import BookSummary, MarketSnapshot, TimeframeView
from trading_bot.market import anomalies
from trading_bot.market.book import summarize
from trading_bot.market.frame import CandleFrame, epoch_ms
from trading_bot.market.indicators import DEFAULT_LOOKBACK
from trading_bot.market.sources import MarketSource
from trading_bot.market.unavailable import Unavailable
from trading_bot.market.views import TimeframeViews, WindowViews

_T = TypeVar("_T")

HOUR_MS = 3_600_000
OI_MAX_AGE = timedelta(minutes=15)  # an open-interest sample older than this is not "now" / "1H ago"


class SnapshotUnavailable(Exception):
    """Not even a price exists at `at` (no ticker and no closed candle)."""


@dataclass(frozen=True, slots=True)
class _State:
    ticker: Ticker | None
    book: OrderBook | None
    funding: FundingRate | None
    mark: MarkPrice | None
    oi: OpenInterest | None


class SnapshotBuilder:
    def __init__(self, source: MarketSource, lookback: int = DEFAULT_LOOKBACK,
                 timeframes: Sequence[str] = SNAPSHOT_TIMEFRAMES, views: TimeframeViews | None = None) -> None:
        self.source = source
        self.timeframes = tuple(timeframes)
        self.views = views if views is not None else WindowViews(source, lookback)

    def build(self, at: datetime) -> MarketSnapshot:
        at = ensure_utc(at)
        missing: dict[str, str] = {}
        # First, as close to `at` as possible: a live source keeps only the newest state, and one
        # pushed while the candles load and the indicators run would be newer than `at` (refused).
        state = self._state(at, missing)
        views: dict[str, TimeframeView] = {}
        windows: dict[str, CandleFrame] = {}
        for timeframe in self.timeframes:
            views[timeframe], windows[timeframe] = self.views.view(timeframe, at)
        base = windows[self.timeframes[0]]
        at_ms = epoch_ms(at)
        price, price_ms = _price(state.ticker, base, at)
        freshness = _freshness(at, at_ms, state, windows) | {"price": (at_ms - price_ms) / 1000}
        change_1h = _price_change(price, base, at_ms, missing)
        oi_change = self._oi_change(at, state.oi, missing)
        book = _book(state.book, missing)
        base_view = views[self.timeframes[0]]
        flags = anomalies.detect(anomalies.AnomalyInputs(
            price_move_pct=change_1h,
            funding_rate=float(state.funding.rate) if state.funding else None,
            oi_change_pct=oi_change,
            volume=base_view.indicators.volume,
            volume_mean=base_view.indicators.volume_mean_20,
            ticker_age_seconds=freshness.get("ticker"),
            price_age_seconds=freshness["price"],
            book_age_seconds=freshness.get("book"),
        ))
        return MarketSnapshot(
            inst_id=self.source.inst_id, at=at, price=price,
            mark_price=state.mark.mark_px if state.mark else None,
            ticker=state.ticker, timeframes=views, book=book, funding=state.funding,
            open_interest=state.oi, oi_change_1h_pct=oi_change, price_change_1h_pct=change_1h,
            anomalies=flags, freshness_seconds=freshness, missing=missing,
        )

    def _state(self, at: datetime, missing: dict[str, str]) -> _State:
        def take(name: str, found: _T | Unavailable) -> _T | None:
            if isinstance(found, Unavailable):
                missing[name] = found.reason
                return None
            return found

        source = self.source
        return _State(
            ticker=take("ticker", source.ticker(at)),
            book=take("book", source.book(at)),
            funding=take("funding", source.funding(at)),
            mark=take("mark_price", source.mark_price(at)),
            oi=take("open_interest", source.open_interest(at)),
        )

    def _oi_change(self, at: datetime, now: OpenInterest | None, missing: dict[str, str]) -> float | None:
        change = self._oi_change_or_reason(at, now)
        if isinstance(change, Unavailable):
            missing["oi_change_1h_pct"] = change.reason
            return None
        return change

    def _oi_change_or_reason(self, at: datetime, now: OpenInterest | None) -> float | Unavailable:
        if now is None:
            return Unavailable("no open-interest sample")
        if at - now.ts > OI_MAX_AGE:
            return Unavailable(f"the newest open-interest sample is {(at - now.ts).total_seconds():.0f} s old")
        earlier = self.source.open_interest(at - OI_CHANGE_SPAN)
        if isinstance(earlier, Unavailable) or earlier.ts < at - OI_CHANGE_SPAN - OI_MAX_AGE or earlier.oi <= 0:
            window = f"{at - OI_CHANGE_SPAN - OI_MAX_AGE:%Y-%m-%d %H:%M:%S}Z and {at - OI_CHANGE_SPAN:%H:%M:%S}Z"
            return Unavailable(f"no open-interest sample between {window}")
        return (float(now.oi) / float(earlier.oi) - 1.0) * 100.0


def _price(ticker: Ticker | None, base: CandleFrame, at: datetime) -> tuple[Decimal, int]:
    """The newer of the ticker's last price and the last close of the base timeframe (ticker on a tie),
    with its time in ms."""
    close_ms = base.last_close_ms() if len(base) else None
    if ticker is not None and (close_ms is None or epoch_ms(ticker.ts) >= close_ms):
        return ticker.last, epoch_ms(ticker.ts)
    if close_ms is None:
        raise SnapshotUnavailable(f"no ticker and no closed {base.timeframe} bar at or before {at:%Y-%m-%d %H:%M:%S}Z")
    return Decimal(repr(float(base.close[-1]))), close_ms


def _price_change(price: Decimal, base: CandleFrame, at_ms: int, missing: dict[str, str]) -> float | None:
    """Against the close of the last base bar closed one hour before `at` (within the window)."""
    count = base.closed_count_ms(at_ms - HOUR_MS)
    if count == 0:
        missing["price_change_1h_pct"] = f"no closed {base.timeframe} bar one hour before the snapshot"
        return None
    reference = float(base.close[count - 1])
    return (float(price) / reference - 1.0) * 100.0


def _book(book: OrderBook | None, missing: dict[str, str]) -> BookSummary | None:
    if book is None:
        return None
    summary = summarize(book)
    if isinstance(summary, Unavailable):
        missing["book"] = summary.reason
        return None
    return summary


def _freshness(at: datetime, at_ms: int, state: _State, windows: dict[str, CandleFrame]) -> dict[str, float]:
    ages = {name: (at - item.ts).total_seconds() for name, item in (
        ("ticker", state.ticker), ("book", state.book), ("funding", state.funding),
        ("mark_price", state.mark), ("open_interest", state.oi)) if item is not None}
    for timeframe, window in windows.items():
        if len(window):
            ages[f"candles_{timeframe}"] = (at_ms - window.last_close_ms()) / 1000
    return ages
