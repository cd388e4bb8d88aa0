"""Snapshot building speed on the real 15m BTC-USDT-SWAP file of ../shared/data.

1. Live style: a snapshot of 3 timeframes × 200 closed candles with every indicator and the regime,
   from an in-memory source (the database read is measured separately by the integration tests);
   median over many times, and the ratio against calling the TA-Lib functions alone on the same arrays.
2. Backtest: precompute + one snapshot per 15m bar for the whole file (115,506 bars).
Goals: live median ≤ 5 ms (issue 17; 15 ms in issue 5), backtest ≤ 20 s.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from trading_bot.backtest.source import memory_builder, precomputed_builder
from trading_bot.market import ta_engine
from trading_bot.market.candle_files import load_frame
from trading_bot.market.frame import CandleFrame

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
INSTRUMENT = "BTC-USDT-SWAP"
SAMPLES = 200


def _median_ms(action, repeats: int) -> float:  # noqa: ANN001
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def _talib_only(windows: list[CandleFrame]) -> None:
    for w in windows:
        ta_engine.window_values(w.high, w.low, w.close, w.volume)
        for period in (9, 26, 52):
            ta_engine.ta_c.MIDPRICE(w.high, w.low, period)


def live_style(base: CandleFrame) -> None:
    builder = memory_builder(INSTRUMENT, base)
    times = [base.close_time(i) for i in range(len(base) - 1, len(base) - 1 - SAMPLES * 37, -37)]
    views = builder.views
    windows = [views.view(tf, times[0])[1] for tf in builder.timeframes]
    print(f"live-style snapshot: {len(builder.timeframes)} timeframes × {[len(w) for w in windows]} closed bars")
    it = iter(times * 2)
    snapshot_ms = _median_ms(lambda: builder.build(next(it)), SAMPLES)
    talib_ms = _median_ms(lambda: _talib_only(windows), SAMPLES)
    print(f"  median snapshot build      {snapshot_ms:8.2f} ms   (goal ≤ 5 ms)")
    print(f"  median TA-Lib calls alone  {talib_ms:8.3f} ms   (same arrays: 12 TA-Lib functions + 3 MIDPRICE each)")
    print(f"  ratio snapshot / TA-Lib    {snapshot_ms / talib_ms:8.1f} ×")


def backtest(base: CandleFrame, workers: int) -> None:
    started, cpu = time.perf_counter(), time.process_time()
    builder = precomputed_builder(INSTRUMENT, base, workers=workers)
    prepared, prepared_cpu = time.perf_counter() - started, time.process_time() - cpu
    for i in range(len(base)):
        builder.build(base.close_time(i))
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"backtest: precompute + {len(base):,} snapshots (one per 15m bar, 3 timeframes), {workers} process(es)"
          " for the precompute")
    print(f"  precompute                 {prepared:8.2f} s wall  {prepared_cpu:6.2f} s CPU (this process)")
    print(f"  total                      {total:8.2f} s wall  {total_cpu:6.2f} s CPU   (goal ≤ 20 s)")
    print(f"  per snapshot               {(total - prepared) / len(base) * 1e6:8.1f} µs")


def main() -> None:
    base = load_frame(DATA, "15m")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    live_style(base)
    backtest(base, workers=1)
    backtest(base, workers=os.cpu_count() or 1)
