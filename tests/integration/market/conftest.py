"""The same market, real 15m candles plus ticker/book/funding/mark/open interest, stored in PostgreSQL
and Redis (as ws-public stores it) and held in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.kit.candles import shared_frame, to_candles
from trading_bot.domain.market import BookLevel, Candle, FundingRate, MarkPrice, OpenInterest, OrderBook, Ticker
from trading_bot.market.aggregate import aggregate_candles
from trading_bot.market.frame import CandleFrame
from trading_bot.market.sources import MarketState, MemorySource
from trading_bot.storage import market_state
from trading_bot.storage.repos.candles import upsert_candles

INST = "BTC-USDT-SWAP"
FIRST, BARS = 100_000, 3_400  # 15m bars from 2025-11-07: enough for 200 closed 4H bars


@dataclass
class StoredMarket:
    candles: dict[str, list[Candle]]
    state: MarketState
    forming: list[Candle]
    at: datetime  # 20 s into the bar after the last closed one
    extra: dict = field(default_factory=dict)

    def memory_source(self) -> MemorySource:
        frames = {tf: CandleFrame.from_candles(c, tf) for tf, c in self.candles.items()}
        return MemorySource(INST, frames, self.state, forming=self.forming)


def _state(at: datetime, close: Decimal) -> MarketState:
    ticker = Ticker(inst_id=INST, last=close + Decimal("3.5"), bid=close + 3, ask=close + 4,
                    ts=at - timedelta(seconds=2))
    book = OrderBook(inst_id=INST, ts=at - timedelta(seconds=1),
                     bids=[BookLevel(price=close + 3 - i, size=Decimal(10 + i)) for i in range(6)],
                     asks=[BookLevel(price=close + 4 + i, size=Decimal(7)) for i in range(6)])
    funding = FundingRate(inst_id=INST, rate=Decimal("0.00061"), next_rate=None, funding_time=at + timedelta(hours=3),
                          next_funding_time=at + timedelta(hours=11), ts=at - timedelta(seconds=40))
    mark = MarkPrice(inst_id=INST, mark_px=close + Decimal("3.1"), ts=at - timedelta(seconds=3))
    oi = [OpenInterest(inst_id=INST, oi=Decimal(2_000_000 + 1_500 * k), oi_ccy=Decimal(20_000), oi_usd=None,
                       ts=at - timedelta(minutes=2 * k + 1)) for k in range(90)]
    return MarketState(tickers=[ticker], books=[book], funding=[funding], mark_prices=[mark], open_interest=oi)


@pytest.fixture
def stored_market(shared_dir, database, redis_client, keys) -> StoredMarket:  # noqa: ANN001
    base = shared_frame(shared_dir).slice(FIRST, FIRST + BARS)
    fifteen = to_candles(base, INST)
    candles = {"15m": fifteen, **{tf: list(aggregate_candles(fifteen, tf)) for tf in ("1H", "4H")}}
    at = fifteen[-1].close_time + timedelta(seconds=20)
    forming = [fifteen[-1].model_copy(update={"ts": fifteen[-1].close_time, "confirmed": False})]
    for rows in (*candles.values(), forming):
        upsert_candles(database, rows)
    state = _state(at, fifteen[-1].close)
    market_state.put_latest(redis_client, keys.ticker(INST), state.tickers[0])
    market_state.put_latest(redis_client, keys.books(INST), state.books[0])
    market_state.put_latest(redis_client, keys.funding(INST), state.funding[0])
    market_state.put_latest(redis_client, keys.mark_price(INST), state.mark_prices[0])
    for sample in sorted(state.open_interest, key=lambda s: s.ts):
        market_state.record_open_interest(redis_client, keys, sample)
    return StoredMarket(candles, state, forming, at)
