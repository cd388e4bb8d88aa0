"""Object mothers for brain tests: market snapshots and contexts built directly from the domain models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from trading_bot.brain.playbook import default_playbook
from trading_bot.brain.ports import BrainContext
from trading_bot.domain.market import FundingRate
from trading_bot.domain.orders import Account, Position
from trading_bot.domain.snapshot import Anomaly, IndicatorSet, MarketSnapshot, Regime, TimeframeView

AT = datetime(2026, 2, 3, 10, 0, tzinfo=UTC)
INST = "BTC-USDT-SWAP"


def indicators(**overrides: Any) -> IndicatorSet:
    values: dict[str, Any] = dict(close=67000.0, rsi=52.0, rsi_zone="neutral", macd=12.0, macd_signal=8.0,
                                  macd_hist=4.0, macd_cross="none", bb_upper=68000.0, bb_middle=67000.0,
                                  bb_lower=66000.0, bb_position=0.5, ema20=66900.0, ema50=66500.0, ema200=65000.0,
                                  ema_alignment="bullish", atr=400.0, atr_pct=0.6, adx=30.0, plus_di=28.0,
                                  minus_di=14.0, volume=1200.0, volume_mean_20=1000.0)
    values.update(overrides)
    return IndicatorSet(**values)


def regime(label: str = "trending_up", adx: float = 30.0) -> Regime:
    return Regime(label=label, adx=adx, ema20_slope=0.2 if label != "trending_down" else -0.2, atr_ratio=1.0,
                  reason=f"constructed {label}")


def snapshot(price: str = "67000.0", label: str = "trending_up", at: datetime = AT, funding: str | None = None,
             anomalies: list[Anomaly] | None = None, oi_change: float | None = None, **ind: Any) -> MarketSnapshot:
    views = {tf: TimeframeView(timeframe=tf, bars=200, last_closed=at - timedelta(minutes=15),
                               indicators=indicators(**ind), regime=regime(label)) for tf in ("15m", "1H", "4H")}
    rate = None
    if funding is not None:
        rate = FundingRate(inst_id=INST, rate=Decimal(funding), next_rate=None, funding_time=at,
                           next_funding_time=at + timedelta(hours=8), ts=at)
    return MarketSnapshot(inst_id=INST, at=at, price=Decimal(price), mark_price=Decimal(price), timeframes=views,
                          funding=rate, anomalies=anomalies or [], oi_change_1h_pct=oi_change)


def account(equity: str = "10000") -> Account:
    return Account(equity=Decimal(equity), available=Decimal(equity), frozen=Decimal(0), upl=Decimal(0), ts=AT)


def position(side: str = "long", px: str = "66000") -> Position:
    return Position(inst_id=INST, side=side, pos_side=side, mgn_mode="isolated", size=Decimal("1"),
                    avg_px=Decimal(px), mark_px=Decimal(px), upl=Decimal(0), realized_pnl=Decimal(0),
                    fee=Decimal(0), funding_fee=Decimal(0), margin=None, imr=None, liq_px=None,
                    leverage=Decimal(2), created_at=AT - timedelta(hours=1), updated_at=AT)


def context(snap: MarketSnapshot | None = None, **overrides: Any) -> BrainContext:
    snap = snap or snapshot()
    values: dict[str, Any] = dict(snapshot=snap, now=snap.at, playbook=default_playbook(), account=account())
    values.update(overrides)
    return BrainContext(**values)
