"""In-process simulator throughput: the 15m BTC-USDT-SWAP file (115,506 bars = 462,020 ticks) replayed
tick by tick through the engine, with one open position and its TP/SL at all times (a new one is
opened whenever the last closed). Market time is advanced bar by bar, as a backtest would."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

from trading_bot.exchange.sim.market import SimMarket
from trading_bot.exchange.sim.orders import AttachSpec, OrderParams
from trading_bot.exchange.sim.series import TICKS_PER_BAR
from trading_bot.exchange.sim.venue import Venue

DATA = Path(__file__).resolve().parents[1].parent / "shared/data/okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
INST = "BTC-USDT-SWAP"


def main() -> None:
    if not DATA.exists():
        print(f"skipped: {DATA} is absent")
        return
    market = SimMarket.from_files([str(DATA)])
    bars = market.data[INST].bars
    venue = Venue.create(market, Decimal("1000000"), start_ms=int(bars.ts[1]))
    engine = venue.engine
    engine.events.record = False
    closes = (bars.ts + bars.dur).tolist()[1:]
    trades = 0
    started = time.perf_counter()
    for close in closes:
        if not engine.positions.by_key:
            last = engine.quotes.mark(INST)
            engine.place_order(OrderParams(INST, "isolated", "buy", "market", Decimal(1), attach=[AttachSpec(
                tp_trigger_px=(last * Decimal("1.02")).quantize(Decimal("0.1")),
                sl_trigger_px=(last * Decimal("0.98")).quantize(Decimal("0.1")))]))
            trades += 1
        venue.advance_to(close)
    elapsed = time.perf_counter() - started
    ticks = len(closes) * TICKS_PER_BAR
    print(f"bars replayed:        {len(closes):,} ({ticks:,} ticks) in {elapsed:.2f} s")
    print(f"throughput:           {ticks / elapsed:,.0f} ticks/s ({len(closes) / elapsed:,.0f} bars/s)")
    print(f"round trips:          {trades:,} (TP/SL ±2 %), final equity {engine.account.figures().equity:.2f} USDT")
    assert engine.account.cash - Decimal("1000000") == sum(engine.account.ledger.values()), "money was created or destroyed"
