"""Profile the backtest's cycles under cProfile: `python -m benchmarks.profile_backtest [BARS]`
(default 3,000 bars of the real 15m file from its first bar, rules brain, a throwaway database).

Prints the functions with the most own time and the most cumulative time per cycle, and writes the
whole profile to /tmp/backtest.prof (open it with `python -m pstats` or snakeviz). Profiling slows
every Python call down, so read the shares, not the absolute times (bench_backtest gives those).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from datetime import timedelta

import pandas as pd

from benchmarks.bench_backtest import DATA, INSTRUMENT

PROFILE = "/tmp/backtest.prof"


def main(argv: list[str]) -> None:
    bars = int(argv[0]) if argv else 3_000
    os.environ.setdefault("TRADING_BOT_ENV_FILE", "")
    from trading_bot.logs import configure_logging

    configure_logging("WARNING")
    from trading_bot.backtest.database import backtest_database
    from trading_bot.backtest.runner import BacktestSpec, plan, prepare, run
    from trading_bot.config import load_settings

    settings = load_settings(database_url=os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                             brain_mode="rules")
    first = pd.Timestamp(pd.read_feather(DATA, columns=["date"])["date"].iloc[0]).to_pydatetime()
    run_id = f"bt-profile-{int(time.time())}"
    planned = plan(BacktestSpec(data=[str(DATA)], instrument=INSTRUMENT, start=first,
                                end=first + timedelta(minutes=15 * bars), run_id=run_id))
    with backtest_database(settings.database_dsn(), run_id, keep=False) as target:
        backtest = prepare(planned, settings, target.db)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        outcome = profiler.runcall(run, backtest)
        wall = time.perf_counter() - started
    profiler.dump_stats(PROFILE)
    print(f"{outcome.cycles:,} cycles in {wall:.1f} s under the profiler ({wall / outcome.cycles * 1000:.2f} ms/cycle), "
          f"outcomes {dict(sorted(outcome.outcomes.items()))}; profile in {PROFILE}")
    stats = pstats.Stats(profiler)
    for key, title in (("tottime", "own time"), ("cumulative", "cumulative time")):
        print(f"\n--- top by {title} ---")
        stats.sort_stats(key).print_stats(30)


if __name__ == "__main__":
    main(sys.argv[1:])
