"""A bare matching engine (no venue, no market data) trading BTC-USDT-SWAP at one price: the object
mother of the engine's unit tests."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.exchange.sim.engine import Engine
from trading_bot.exchange.sim.instruments import INSTRUMENTS

BTC = "BTC-USDT-SWAP"


def engine_at(price: float = 90000.0) -> Engine:
    engine = Engine({BTC: INSTRUMENTS[BTC]}, Decimal(10000), now_ms=1_000)
    engine.on_price(BTC, price, 1_000)
    return engine
