"""Assemble a simulator from plain options: market data, venue, clock, server.

`SimSpec` is what `trading-bot sim`, `trading-bot run`, the test kit and backtests agree on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_bot.clock import to_ms
from trading_bot.config import Settings
from trading_bot.exchange.sim.engine import EngineConfig
from trading_bot.exchange.sim.market import SimMarket
from trading_bot.exchange.sim.venue import MarketClock, Venue


@dataclass(frozen=True)
class SimSpec:
    data: list[str] = field(default_factory=list)  # empty = synthetic market
    seed: int = 7
    speed: float = 1.0  # market seconds per wall second; 0 = paused (tests advance by hand)
    start: datetime | None = None  # replay start; synthetic default = `now`
    equity: Decimal = Decimal("10000")
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    instruments: tuple[str, ...] | None = None  # synthetic subset; default all

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> SimSpec:
        from trading_bot.clock import parse_iso

        values: dict[str, Any] = dict(
            data=list(settings.sim_data), seed=settings.sim_seed, speed=settings.sim_speed,
            start=parse_iso(settings.sim_start) if settings.sim_start else None, equity=settings.sim_equity,
            maker_fee=settings.sim_maker_fee, taker_fee=settings.sim_taker_fee,
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def build_venue(spec: SimSpec, now: datetime) -> Venue:
    """`now` is the wall time a synthetic market starts at when `spec.start` is not given."""
    config = EngineConfig(maker_fee=spec.maker_fee, taker_fee=spec.taker_fee)
    if spec.data:
        market = SimMarket.from_files(spec.data)
        start = None
        if spec.start is not None:
            start = to_ms(spec.start)
            first = min(d.start_ms for d in market.data.values())
            if not first <= start < market.end_ms:
                raise ValueError(f"start {spec.start.isoformat()} is outside the data "
                                 f"({datetime.fromtimestamp(first / 1000).isoformat()} … "
                                 f"{datetime.fromtimestamp(market.end_ms / 1000).isoformat()})")
        return Venue.create(market, spec.equity, start, config)
    start = to_ms(spec.start or now) // 60_000 * 60_000
    market = SimMarket.synthetic_from(spec.seed, start, list(spec.instruments) if spec.instruments else None)
    return Venue.create(market, spec.equity, start, config)


def build_clock(venue: Venue, speed: float) -> MarketClock:
    return MarketClock(venue.now_ms, speed)
