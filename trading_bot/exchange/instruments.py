"""Instrument metadata cache and sizing helpers (venue-agnostic).

Sizes come from `/public/instruments` at start-up (BTC-USDT-SWAP's lotSz went from 1 to 0.01:
never hard-code them). Contract counts are rounded DOWN to lotSz so an order is never bigger than
asked; a size below minSz becomes 0 (the caller treats 0 as "too small to trade").
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from decimal import Decimal

from trading_bot.domain.market import Instrument

HUNDRED = Decimal(100)


class InstrumentCache:
    """Loads each instrument once through `fetch` and keeps it for the life of the process."""

    def __init__(self, fetch: Callable[[str], Instrument]) -> None:
        self._fetch = fetch
        self._items: dict[str, Instrument] = {}
        self._lock = threading.Lock()

    def get(self, inst_id: str) -> Instrument:
        with self._lock:
            cached = self._items.get(inst_id)
        if cached is not None:
            return cached
        loaded = self._fetch(inst_id)
        with self._lock:
            self._items[inst_id] = loaded
        return loaded

    def preload(self, inst_ids: Iterable[str]) -> list[Instrument]:
        return [self.get(inst_id) for inst_id in inst_ids]

    def put(self, instrument: Instrument) -> None:
        with self._lock:
            self._items[instrument.inst_id] = instrument


def contracts_for_notional(instrument: Instrument, notional_usdt: Decimal, price: Decimal) -> Decimal:
    """Contracts worth at most `notional_usdt` at `price`, rounded down to lotSz; 0 below minSz."""
    contracts = instrument.contracts_for_notional(notional_usdt, price)
    return contracts if contracts >= instrument.min_sz else Decimal(0)


def contracts_for_equity_pct(
    instrument: Instrument, equity: Decimal, pct: Decimal, price: Decimal, leverage: Decimal = Decimal(1)
) -> Decimal:
    """Contracts whose margin is `pct` % of `equity` at `leverage` (notional = equity × pct/100 × leverage)."""
    if pct < 0 or leverage <= 0:
        raise ValueError("pct must be ≥ 0 and leverage > 0")
    return contracts_for_notional(instrument, equity * pct / HUNDRED * leverage, price)


def round_price(instrument: Instrument, price: Decimal) -> Decimal:
    """Nearest multiple of tickSz."""
    return instrument.round_price(price)


def fmt(value: Decimal) -> str:
    """OKX wants plain decimal strings: no exponent, no trailing zeros ("0.01", "43210.5", "2")."""
    return format(value.normalize(), "f")
