"""The market as the engine sees it: the instruments it trades, their last prices and market time.

The venue moves both (`last`, `now_ms`); every part of the engine reads them here. Prices are
floats because they arrive by the million; `mark` is the Decimal that money is computed with.
"""

from __future__ import annotations

from decimal import Decimal

from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import Reject


class Quotes:
    def __init__(self, instruments: dict[str, SimInstrument], now_ms: int) -> None:
        self.instruments = instruments
        self.last: dict[str, float] = {}
        self.now_ms = now_ms

    def instrument(self, inst_id: str) -> SimInstrument:
        """The instrument, when it is traded here and has a price (else OKX's 51001)."""
        inst = self.instruments.get(inst_id)
        if inst is None or inst_id not in self.last:
            raise Reject("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
        return inst

    def mark(self, inst_id: str) -> Decimal:
        inst = self.instruments[inst_id]
        return Decimal(f"{self.last[inst_id]:.{inst.price_digits}f}")
