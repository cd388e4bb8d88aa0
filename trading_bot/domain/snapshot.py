"""The MarketSnapshot every decision reads: one instrument at one time `at`, built only from data
with timestamps ≤ `at` and from closed bars. Indicator values are floats (never NaN or inf: a
value that cannot be computed is None and its reason is in `missing`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trading_bot.domain.market import INSTRUMENT_PATTERN, Candle, FundingRate, OpenInterest, Ticker

RegimeLabel = Literal["trending_up", "trending_down", "volatile", "ranging"]
Severity = Literal["INFO", "WARN", "CRITICAL"]
AnomalyKind = Literal["price_move", "funding_spike", "oi_change", "volume_spike", "stale_data"]


class _Model(BaseModel):
    # NaN/inf are refused at construction: an indicator that cannot be computed is None + a reason.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="null", allow_inf_nan=False, defer_build=True)


class VolumeProfile(_Model):
    poc: float  # price level with the most volume
    value_area_high: float
    value_area_low: float


class PivotLevels(_Model):
    """Classic floor pivots from the previous complete UTC day (high, low, close of that day)."""

    pivot: float
    r1: float
    r2: float
    r3: float
    s1: float
    s2: float
    s3: float


class IndicatorSet(_Model):
    """Indicators of one timeframe at the last closed bar."""

    close: float | None = None
    rsi: float | None = None
    rsi_zone: Literal["oversold", "neutral", "overbought"] | None = None
    macd: float | None = None
    macd_signal: float | None = None
    macd_hist: float | None = None
    macd_cross: Literal["bullish_cross", "bearish_cross", "none"] | None = None
    bb_upper: float | None = None
    bb_middle: float | None = None
    bb_lower: float | None = None
    bb_position: float | None = None  # 0 = lower band, 1 = upper band (may leave 0..1 outside the bands)
    ema20: float | None = None
    ema50: float | None = None
    ema200: float | None = None
    ema_alignment: Literal["bullish", "bearish", "mixed"] | None = None
    atr: float | None = None
    atr_pct: float | None = None  # ATR as % of close
    vwap: float | None = None
    adx: float | None = None
    plus_di: float | None = None
    minus_di: float | None = None
    stochrsi_k: float | None = None
    stochrsi_d: float | None = None
    obv: float | None = None
    ichimoku_tenkan: float | None = None
    ichimoku_kijun: float | None = None
    ichimoku_senkou_a: float | None = None
    ichimoku_senkou_b: float | None = None
    volume: float | None = None
    volume_mean_20: float | None = None
    supports: list[float] = Field(default_factory=list)  # nearest first: pivot levels and fractal lows below close
    resistances: list[float] = Field(default_factory=list)  # nearest first: pivot levels and fractal highs above
    volume_profile: VolumeProfile | None = None
    missing: dict[str, str] = Field(default_factory=dict)  # field -> why it is None
    # Added by the market area (issue 5); volumes are in base currency (BTC for BTC-USDT-SWAP).
    pivots: PivotLevels | None = None


class Regime(_Model):
    label: RegimeLabel
    adx: float | None
    ema20_slope: float | None
    atr_ratio: float | None  # ATR / its 50-bar mean
    reason: str


class TimeframeView(_Model):
    timeframe: str
    bars: int  # closed bars available (≤ 200 used)
    last_closed: datetime | None
    indicators: IndicatorSet
    regime: Regime | None
    forming: Candle | None = None  # reported, never used by an indicator
    regime_missing: str | None = None  # why `regime` is None


class BookSummary(_Model):
    best_bid: Decimal
    best_ask: Decimal
    spread: Decimal
    spread_bps: float
    imbalance: float  # (bid depth − ask depth) / (bid + ask) over 5 levels, −1..1
    bid_depth: Decimal  # contracts in the top 5 levels
    ask_depth: Decimal


class Anomaly(_Model):
    kind: AnomalyKind
    severity: Severity
    message: str
    value: float
    threshold: float


class MarketSnapshot(_Model):
    inst_id: str = Field(pattern=INSTRUMENT_PATTERN.pattern)  # it reaches every prompt: no free text
    at: datetime
    price: Decimal  # last traded price at `at`
    mark_price: Decimal | None = None
    ticker: Ticker | None = None
    timeframes: dict[str, TimeframeView]
    book: BookSummary | None = None
    funding: FundingRate | None = None
    open_interest: OpenInterest | None = None
    oi_change_1h_pct: float | None = None
    price_change_1h_pct: float | None = None  # added by the market area: price vs the 15m close 1H earlier
    anomalies: list[Anomaly] = Field(default_factory=list)
    freshness_seconds: dict[str, float] = Field(default_factory=dict)  # source -> age at `at`
    missing: dict[str, str] = Field(default_factory=dict)  # snapshot-level field -> why it is None

    def view(self, timeframe: str) -> TimeframeView | None:
        return self.timeframes.get(timeframe)
