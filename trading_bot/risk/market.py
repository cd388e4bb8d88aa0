"""What the gate needs to know about the market: per instrument its contract specification, mark
and last price and recent 1H closes; when the snapshot was taken and the cycle interval (for the
staleness rule); when the snapshot's price, ticker and order book were stamped (for the
stale-feed rule); and the pending entry orders (they become exposure when they fill).

Build it with `MarketView.from_snapshot(...)` in the pipeline; tests construct it directly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import Field

from trading_bot.domain.market import Candle, Frozen, Instrument
from trading_bot.domain.orders import Order
from trading_bot.domain.snapshot import MarketSnapshot

# The snapshot's `freshness_seconds` entries the gate's prices rest on, pushed many times a second
# while the feed lives. Left out: funding, open interest and candles (a minute or slower by nature)
# and the mark price (it moves with the index, and is pushed only when it changes).
MARKET_DATA = ("ticker", "book", "price")  # (a tie names the first: the ticker, not the price)


class InstrumentMarket(Frozen):
    """One instrument as the gate sees it. Prices are USDT per base unit (BTC for BTC-USDT-SWAP)."""

    instrument: Instrument
    mark_price: Decimal
    last_price: Decimal
    closes_1h: tuple[tuple[datetime, Decimal], ...] = ()  # closed 1H bars (open time, close), oldest first


class MarketView(Frozen):
    snapshot_at: datetime  # when the decision's snapshot was taken
    cycle_seconds: int  # the decision cycle interval
    market_data_at: dict[str, datetime]  # MARKET_DATA source → the time of its newest datum ("price" always)
    instruments: dict[str, InstrumentMarket]  # every instrument traded or held
    pending_orders: tuple[Order, ...] = Field(default=())  # live entry orders (reduce-only ones are ignored)

    def get(self, inst_id: str) -> InstrumentMarket | None:
        return self.instruments.get(inst_id)

    @classmethod
    def from_snapshot(
        cls,
        snapshot: MarketSnapshot,
        cycle_seconds: int,
        instruments: Mapping[str, Instrument],
        prices: Mapping[str, tuple[Decimal, Decimal]],
        hourly_candles: Mapping[str, Sequence[Candle]],
        pending_orders: Iterable[Order] = (),
    ) -> MarketView:
        """`prices` maps inst_id → (mark, last) for every other instrument held; the snapshot's own
        instrument takes its prices from the snapshot (mark falls back to last when absent)."""
        all_prices = dict(prices)
        all_prices[snapshot.inst_id] = (snapshot.mark_price or snapshot.price, snapshot.price)
        views = {
            inst_id: InstrumentMarket(
                instrument=instruments[inst_id],
                mark_price=mark,
                last_price=last,
                closes_1h=closed_hourly_closes(hourly_candles.get(inst_id, ())),
            )
            for inst_id, (mark, last) in all_prices.items()
            if inst_id in instruments
        }
        return cls(
            snapshot_at=snapshot.at,
            cycle_seconds=cycle_seconds,
            market_data_at={name: snapshot.at - timedelta(seconds=snapshot.freshness_seconds[name])
                            for name in MARKET_DATA if name in snapshot.freshness_seconds},
            instruments=views,
            pending_orders=tuple(pending_orders),
        )


def closed_hourly_closes(candles: Iterable[Candle]) -> tuple[tuple[datetime, Decimal], ...]:
    """(open time, close) of confirmed 1H bars, oldest first: a forming bar never counts."""
    rows = sorted((c.ts, c.close) for c in candles if c.confirmed and c.timeframe == "1H")
    return tuple(rows)
