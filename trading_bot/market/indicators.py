"""The indicator set of one timeframe at one closed bar, computed over that bar's window.

A bar's window is the last `lookback` (SNAPSHOT_BARS, 200) closed bars up to it that follow each
other without a gap. Recursive indicators (EMA, RSI, MACD, ATR, ADX, StochRSI, OBV) depend on where
their series starts, so fixing the window makes every value a function of those bars alone: the live
snapshot (one window) and the backtest (every bar of a long history) get identical numbers.

The numbers come from `FrameSeries` (market/frame_series.py); `analyse_bar` turns one bar's numbers
into an `IndicatorSet` with its derived signals, levels and regime. A value that cannot be computed
is None and `missing[field]` says why; NaN and inf never leave this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trading_bot.domain.snapshot import IndicatorSet, Regime, VolumeProfile
from trading_bot.market import overlays, signals, ta_engine
from trading_bot.market.frame import Window
from trading_bot.market.frame_series import VOLUME_MEAN_BARS, FrameSeries
from trading_bot.market.levels import support_resistance
from trading_bot.market.regime import RegimeInputs, atr_ratio, classify, ema_slope
from trading_bot.market.unavailable import Unavailable, needs_bars
from trading_bot.market.volume_profile import MIN_BARS as PROFILE_MIN_BARS
from trading_bot.market.volume_profile import PROFILE_REASONS, PROFILE_SHORT

DEFAULT_LOOKBACK = 200
MACD_CROSS_BARS = ta_engine.BARS_NEEDED["macd"] + 1

# IndicatorSet fields filled from numbers, with the closed bars each needs.
_TA_BARS = {"rsi": "rsi", "macd": "macd", "macd_signal": "macd", "macd_hist": "macd", "bb_upper": "bb",
            "bb_middle": "bb", "bb_lower": "bb", "ema20": "ema20", "ema50": "ema50", "ema200": "ema200",
            "atr": "atr", "adx": "adx", "plus_di": "di", "minus_di": "di", "stochrsi_k": "stochrsi",
            "stochrsi_d": "stochrsi", "obv": "obv"}
TA_NEEDS: tuple[tuple[str, int], ...] = tuple(
    (name, ta_engine.BARS_NEEDED[_TA_BARS[name]]) for name in ta_engine.OUTPUTS)
_N_OUTPUTS = len(ta_engine.OUTPUTS)
_EMA20, _ATR = ta_engine.OUTPUTS.index("ema20"), ta_engine.OUTPUTS.index("atr")
BOUNDED_NEEDS: tuple[tuple[str, int], ...] = (
    ("volume_mean_20", VOLUME_MEAN_BARS), *overlays.ICHIMOKU_BARS_NEEDED.items())


@dataclass(frozen=True, slots=True)
class WindowAnalysis:
    indicators: IndicatorSet
    regime: Regime | None
    regime_missing: str | None


def analyse(window: Window, lookback: int = DEFAULT_LOOKBACK) -> WindowAnalysis:
    """The live path: the indicator set at the last bar of one window."""
    frame = window.frame
    if len(frame) > lookback:
        raise ValueError(f"a window holds at most {lookback} bars, got {len(frame)}")
    if len(frame) == 0:
        reason = "no closed bars"
        missing = {name: reason for name in IndicatorSet.model_fields if name != "missing"}
        return WindowAnalysis(IndicatorSet(missing=missing), None, reason)
    last = len(frame) - 1
    return analyse_bar(FrameSeries.compute(frame, lookback, [last]), last, window.gap_before)


def analyse_bar(series: FrameSeries, index: int, gap_before: datetime | None = None) -> WindowAnalysis:
    """The indicator set at bar `index` (one of the bars `series` was computed for)."""
    frame = series.frame
    bars = _Bars(series.count(index), gap_before if gap_before is not None else series.gap_before(index))
    numbers = series.ta[index].tolist()
    bars.values.update(close=float(frame.close[index]), volume=float(frame.volume[index]))
    bars.numbers(TA_NEEDS, numbers[:_N_OUTPUTS])
    bars.numbers(BOUNDED_NEEDS, [float(series.bounded[name][index]) for name, _ in BOUNDED_NEEDS])
    status = int(series.vwap_status[index])
    bars.put("vwap", Unavailable(overlays.VWAP_REASONS[status]) if status else float(series.vwap[index]))
    bars.put("pivots", series.pivot_levels(index))
    bars.put("volume_profile", _profile(series, index, bars))
    extras = dict(zip(ta_engine.EXTRAS, numbers[_N_OUTPUTS:], strict=True))
    _put_derived(bars, extras)
    bars.values["supports"], bars.values["resistances"] = support_resistance(
        series.fractals, int(series.starts[index]), index, bars.values["close"], bars.values["pivots"])
    regime = classify(RegimeInputs(
        bars.values["adx"],
        ema_slope(numbers[_EMA20], extras["ema20_before"]),
        atr_ratio(numbers[_ATR], extras["atr_mean"]),
    ))
    indicators = IndicatorSet.model_validate({**bars.values, "missing": bars.missing})
    if isinstance(regime, Unavailable):
        return WindowAnalysis(indicators, None, regime.reason)
    return WindowAnalysis(indicators, regime, None)


class _Bars:
    """The values of one bar being assembled, and the reasons of the missing ones."""

    __slots__ = ("count", "gap", "values", "missing")

    def __init__(self, count: int, gap: datetime | None) -> None:
        self.count = count  # bars in the window
        self.gap = gap
        self.values: dict[str, Any] = {}
        self.missing: dict[str, str] = {}

    def put(self, name: str, value: Any) -> None:
        if isinstance(value, Unavailable):
            self.values[name] = None
            self.missing[name] = value.reason
        else:
            self.values[name] = value

    def numbers(self, needs: tuple[tuple[str, int], ...], numbers: list[float]) -> None:
        """Put `numbers` (in the order of `needs`); a non-finite one is missing for lack of bars."""
        if all(map(math.isfinite, numbers)):  # the usual case, once the window is long enough
            self.values.update(zip((name for name, _ in needs), numbers, strict=True))
            return
        for (name, needed), number in zip(needs, numbers, strict=True):
            self.put(name, number if math.isfinite(number) else needs_bars(needed, self.count, self.gap))

    def have(self, *names: str) -> bool:
        return all(self.values.get(name) is not None for name in names)

    def why(self, *names: str) -> Unavailable:
        first = next(name for name in names if self.values.get(name) is None)
        return Unavailable(f"{first}: {self.missing[first]}")


def _profile(series: FrameSeries, index: int, bars: _Bars) -> VolumeProfile | Unavailable:
    row = series.profile_at[index]
    status = int(series.profile.status[row])
    if status == PROFILE_SHORT:
        return needs_bars(PROFILE_MIN_BARS, bars.count, bars.gap)
    if status:
        return Unavailable(PROFILE_REASONS[status])
    profile = series.profile
    return VolumeProfile(poc=float(profile.poc[row]), value_area_high=float(profile.value_area_high[row]),
                         value_area_low=float(profile.value_area_low[row]))


def _put_derived(bars: _Bars, extras: dict[str, float]) -> None:
    v = bars.values
    bars.put("rsi_zone", signals.rsi_zone(v["rsi"]) if bars.have("rsi") else bars.why("rsi"))
    bands = ("bb_lower", "bb_upper")
    bars.put("bb_position", signals.bb_position(v["close"], *(v[b] for b in bands)) if bars.have(*bands)
             else bars.why(*bands))
    emas = ("ema20", "ema50", "ema200")
    bars.put("ema_alignment", signals.ema_alignment(*(v[e] for e in emas)) if bars.have(*emas) else bars.why(*emas))
    bars.put("atr_pct", signals.atr_pct(v["atr"], v["close"]) if bars.have("atr") else bars.why("atr"))
    if bars.count < MACD_CROSS_BARS:
        bars.put("macd_cross", needs_bars(MACD_CROSS_BARS, bars.count, bars.gap))
    else:
        bars.put("macd_cross", signals.macd_cross(extras["prev_macd"], extras["prev_macd_signal"],
                                                  v["macd"], v["macd_signal"]))
