"""The backtest (`trading-bot backtest`) on the real 15m BTC-USDT-SWAP file of ../shared/data: one
decision cycle per bar, rules brain, every stage on a throwaway PostgreSQL database, from the first
bar to the last (115,506 bars); then backtesting.py running a simple EMA-cross strategy on the same
bars, and the ratio of the wall times. Goal (issue 11): ≤ 60 s for the whole file.

BENCH_BACKTEST_BARS=N limits the run to the first N bars (the whole-file figure is then an
extrapolation and says so). DATABASE_URL names the PostgreSQL server (default 127.0.0.1:5432).
"""

from __future__ import annotations

import os
import resource
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather"
INSTRUMENT = "BTC-USDT-SWAP"
GOAL_SECONDS = 60.0


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ours(bars: int | None) -> tuple[float, int, int]:
    """(wall seconds of the whole backtest, cycles run, bars in the file)."""
    os.environ.setdefault("TRADING_BOT_ENV_FILE", "")
    from trading_bot.logs import configure_logging

    configure_logging("WARNING")
    from trading_bot.backtest.database import backtest_database
    from trading_bot.backtest.results import write_results
    from trading_bot.backtest.runner import BacktestSpec, plan, prepare, run
    from trading_bot.clock import SystemClock
    from trading_bot.config import load_settings

    settings = load_settings(database_url=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                             brain_mode="rules")
    frame = pd.read_feather(DATA, columns=["date"])
    total = len(frame)
    first = pd.Timestamp(frame["date"].iloc[0]).to_pydatetime()
    last = pd.Timestamp(frame["date"].iloc[-1]).to_pydatetime()
    end = first + timedelta(minutes=15 * bars) if bars else last
    run_id = f"bt-bench-{int(time.time())}"
    started = time.perf_counter()
    planned = plan(BacktestSpec(data=[str(DATA)], instrument=INSTRUMENT, start=first, end=end, run_id=run_id))
    planned_s = time.perf_counter() - started
    with backtest_database(settings.database_dsn(), run_id, keep=False) as target:
        mark = time.perf_counter()
        backtest = prepare(planned, settings, target.db)
        prepared_s = time.perf_counter() - mark
        mark = time.perf_counter()
        outcome = run(backtest)
        loop_s = time.perf_counter() - mark
        mark = time.perf_counter()
        results = write_results(backtest, outcome, target.db, Path(f"/tmp/{run_id}"), "rules", SystemClock().now())
        written_s = time.perf_counter() - mark
    wall = time.perf_counter() - started
    per_cycle = loop_s / outcome.cycles * 1000
    print(f"ours: {outcome.cycles:,} cycles ({first:%Y-%m-%d} → {outcome.end:%Y-%m-%d}), "
          f"{results.metrics.trades.trades} closed trades, final equity {outcome.final_equity}, "
          f"outcomes {dict(sorted(outcome.outcomes.items()))}")
    journal = target.db.journal
    if journal is not None:
        print(f"  journal: {journal.rows_written:,} rows in {journal.flushes:,} bulk writes")
    print(f"  venue + data          {planned_s:8.1f} s")
    print(f"  precompute + ports    {prepared_s:8.1f} s")
    print(f"  cycles                {loop_s:8.1f} s   {per_cycle:.2f} ms/cycle")
    print(f"  results + report      {written_s:8.1f} s")
    print(f"  wall                  {wall:8.1f} s   peak RSS {_rss_mb():,.0f} MB")
    if outcome.cycles < total - 1:
        whole = planned_s + prepared_s * total / outcome.cycles + per_cycle * total / 1000 + written_s
        print(f"  whole file ({total:,} bars), extrapolated: ≈ {whole:,.0f} s (goal ≤ {GOAL_SECONDS:.0f} s)")
    else:
        print(f"  whole file: {wall:,.1f} s (goal ≤ {GOAL_SECONDS:.0f} s)")
    return wall, outcome.cycles, total


def theirs(bars: int | None) -> float:
    """backtesting.py: EMA 20/50 cross, long and short, 0.05 % commission, on the same bars."""
    from backtesting import Backtest, Strategy
    from backtesting.lib import crossover

    frame = pd.read_feather(DATA)
    frame = frame.set_index(pd.to_datetime(frame["date"], utc=True).dt.tz_localize(None))
    frame = frame.rename(columns=str.capitalize)[["Open", "High", "Low", "Close", "Volume"]]
    if bars:
        frame = frame.iloc[:bars]

    def ema(values: np.ndarray, span: int) -> np.ndarray:
        return pd.Series(values).ewm(span=span, adjust=False).mean().to_numpy()

    class EmaCross(Strategy):
        def init(self) -> None:
            self.fast = self.I(ema, self.data.Close, 20)
            self.slow = self.I(ema, self.data.Close, 50)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.position.close()
                self.buy(size=0.5)
            elif crossover(self.slow, self.fast):
                self.position.close()
                self.sell(size=0.5)

    started = time.perf_counter()
    stats = Backtest(frame, EmaCross, cash=10_000_000, commission=0.0005, finalize_trades=True).run()
    wall = time.perf_counter() - started
    print(f"backtesting.py: {len(frame):,} bars, {stats['# Trades']} trades, {wall:.2f} s "
          f"({wall / len(frame) * 1000:.3f} ms/bar), peak RSS so far {_rss_mb():,.0f} MB")
    return wall


def main() -> None:
    bars = int(os.environ["BENCH_BACKTEST_BARS"]) if os.environ.get("BENCH_BACKTEST_BARS") else None
    wall, cycles, total = ours(bars)
    other = theirs(cycles if cycles < total - 1 else None)
    print(f"ratio (ours / backtesting.py, same bars): {wall / other:,.0f} ×  — ours runs the whole live pipeline "
          f"(snapshot, screener, analyst, risk gate, orders on a simulated venue, PostgreSQL journal) per bar")


if __name__ == "__main__":
    main()
