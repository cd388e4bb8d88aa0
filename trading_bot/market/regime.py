"""Market regime of one timeframe from ADX, the EMA20 slope and ATR against its 50-bar mean.

Rules, in this order: ADX > 25 with a positive EMA20 slope → trending_up, with a negative slope →
trending_down; otherwise ATR / its 50-bar mean > 1.5 → volatile; otherwise ranging. Boundary values
(ADX exactly 25, ratio exactly 1.5, slope exactly 0) do not qualify. When an input is missing the
label is given only if the missing input cannot change it; else there is no regime and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from trading_bot.domain.snapshot import Regime, RegimeLabel
from trading_bot.market import ta_engine
from trading_bot.market.unavailable import Unavailable

ADX_TREND_THRESHOLD = 25.0
VOLATILITY_RATIO_THRESHOLD = 1.5
ATR_MEAN_BARS = ta_engine.ATR_MEAN_BARS  # the mean is taken inside each window by ta_engine
EMA_SLOPE_BARS = ta_engine.EMA_SLOPE_BARS


@dataclass(frozen=True, slots=True)
class RegimeInputs:
    adx: float | None
    ema20_slope: float | None  # % change of EMA20 per bar over the last EMA_SLOPE_BARS bars
    atr_ratio: float | None  # ATR / mean of its last ATR_MEAN_BARS values (the current one included)


def classify(inputs: RegimeInputs) -> Regime | Unavailable:
    adx, slope, ratio = inputs.adx, inputs.ema20_slope, inputs.atr_ratio
    if adx is not None and adx > ADX_TREND_THRESHOLD and slope is not None and slope != 0:
        label: RegimeLabel = "trending_up" if slope > 0 else "trending_down"
        reason = f"ADX {adx:.1f} > {ADX_TREND_THRESHOLD:g} and EMA20 slope {slope:+.4f} %/bar"
        return Regime(label=label, adx=adx, ema20_slope=slope, atr_ratio=ratio, reason=reason)
    trend_ruled_out = adx is not None and (adx <= ADX_TREND_THRESHOLD or slope is not None)
    if adx is None or not trend_ruled_out:  # (adx None: no trend ruled out)
        return Unavailable("ADX or the EMA20 slope is unavailable, so a trend cannot be ruled out")
    if ratio is None:
        return Unavailable("ATR / its 50-bar mean is unavailable (needs 64 closed bars and a non-zero ATR)")
    not_trending = f"ADX {adx:.1f}" + (f" ≤ {ADX_TREND_THRESHOLD:g}" if adx <= ADX_TREND_THRESHOLD else ", flat EMA20")
    if ratio > VOLATILITY_RATIO_THRESHOLD:
        reason = f"{not_trending}; ATR ratio {ratio:.2f} > {VOLATILITY_RATIO_THRESHOLD:g}"
        return Regime(label="volatile", adx=adx, ema20_slope=slope, atr_ratio=ratio, reason=reason)
    reason = f"{not_trending}; ATR ratio {ratio:.2f} ≤ {VOLATILITY_RATIO_THRESHOLD:g}"
    return Regime(label="ranging", adx=adx, ema20_slope=slope, atr_ratio=ratio, reason=reason)

