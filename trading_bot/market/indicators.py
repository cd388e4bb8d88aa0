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
from trading_bot.market import overlays, ta_engine
from trading_bot.market.frame import Window
from trading_bot.market.frame_series import LABELS, NUMBER_FIELDS, VOLUME_MEAN_BARS, FrameSeries
from trading_bot.market.levels import support_resistance
from trading_bot.market.regime import RegimeInputs, classify
from trading_bot.market.unavailable import Unavailable, needs_bars
from trading_bot.market.volume_profile import MIN_BARS as PROFILE_MIN_BARS
from trading_bot.market.volume_profile import PROFILE_REASONS, PROFILE_SHORT

DEFAULT_LOOKBACK = 200
MACD_CROSS_BARS = ta_engine.BARS_NEEDED["macd"] + 1

# Closed bars each numeric field needs (TA-Lib outputs, bounded-memory series).
_TA_BARS = {"rsi": "rsi", "macd": "macd", "macd_signal": "macd", "macd_hist": "macd", "bb_upper": "bb",
            "bb_middle": "bb", "bb_lower": "bb", "ema20": "ema20", "ema50": "ema50", "ema200": "ema200",
            "atr": "atr", "adx": "adx", "plus_di": "di", "minus_di": "di", "stochrsi_k": "stochrsi",
            "stochrsi_d": "stochrsi", "obv": "obv"}
BARS_NEEDED: dict[str, int] = {
    "close": 1, "volume": 1, "volume_mean_20": VOLUME_MEAN_BARS, **overlays.ICHIMOKU_BARS_NEEDED,
    **{name: ta_engine.BARS_NEEDED[key] for name, key in _TA_BARS.items()},
}
# What a derived value is computed from (its reason names the first missing input).
DERIVED_FROM = {"bb_position": ("bb_lower", "bb_upper"), "atr_pct": ("atr",), "rsi_zone": ("rsi",),
                "ema_alignment": ("ema20", "ema50", "ema200")}
_N = len(NUMBER_FIELDS)


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
    row = series.numbers[index].tolist()
    values: dict[str, Any] = dict(zip(NUMBER_FIELDS, row[:_N], strict=True))
    for name, codes in series.labels.items():
        values[name] = LABELS[name][codes[index]]
    missing: dict[str, str] = {}
    if not all(map(math.isfinite, row[:_N])) or None in (values["rsi_zone"], values["ema_alignment"],
                                                         values["macd_cross"]):
        gap = gap_before if gap_before is not None else series.gap_before(index)
        _explain(values, missing, series, index, gap)
    pivots = series.pivot_levels(index)
    if isinstance(pivots, Unavailable):
        missing["pivots"] = pivots.reason
    values["pivots"] = None if isinstance(pivots, Unavailable) else pivots
    values["volume_profile"] = _profile(series, index, missing, gap_before)
    start = int(series.starts[index])
    values["supports"], values["resistances"] = support_resistance(
        series.fractals, start, index, values["close"], values["pivots"])
    slope, ratio = row[_N], row[_N + 1]
    regime = classify(RegimeInputs(values["adx"], slope if math.isfinite(slope) else None,
                                   ratio if math.isfinite(ratio) else None))
    indicators = IndicatorSet.model_validate({**values, "missing": missing})
    if isinstance(regime, Unavailable):
        return WindowAnalysis(indicators, None, regime.reason)
    return WindowAnalysis(indicators, regime, None)


def _explain(values: dict[str, Any], missing: dict[str, str], series: FrameSeries, index: int,
             gap: datetime | None) -> None:
    """Replace NaN by None and say why (the slow path: only while some value is missing)."""
    count = series.count(index)
    for name in NUMBER_FIELDS:
        if math.isfinite(values[name]):
            continue
        values[name] = None
        if name in BARS_NEEDED:
            missing[name] = needs_bars(BARS_NEEDED[name], count, gap).reason
    status = int(series.vwap_status[index])
    if values["vwap"] is None:
        missing["vwap"] = overlays.VWAP_REASONS.get(status, "unavailable")
    for name, inputs in DERIVED_FROM.items():
        if values[name] is not None:
            continue
        absent = next((i for i in inputs if values[i] is None), None)
        missing[name] = f"{absent}: {missing[absent]}" if absent else _DERIVED_REASONS[name]
    if values["macd_cross"] is None:
        missing["macd_cross"] = needs_bars(MACD_CROSS_BARS, count, gap).reason


_DERIVED_REASONS = {"bb_position": "the Bollinger bands have zero width (flat prices)",
                    "atr_pct": "close is not positive"}


def _profile(series: FrameSeries, index: int, missing: dict[str, str], gap_before: datetime | None
             ) -> VolumeProfile | None:
    profile = series.profile
    status = int(profile.status[index])
    if status == PROFILE_SHORT:
        gap = gap_before if gap_before is not None else series.gap_before(index)
        missing["volume_profile"] = needs_bars(PROFILE_MIN_BARS, series.count(index), gap).reason
        return None
    if status:
        missing["volume_profile"] = PROFILE_REASONS[status]
        return None
    return VolumeProfile(poc=float(profile.poc[index]), value_area_high=float(profile.value_area_high[index]),
                         value_area_low=float(profile.value_area_low[index]))
