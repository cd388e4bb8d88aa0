"""One window of `backtest --windows`, run in this process exactly as `trading-bot backtest` runs a
period: plan, a database of its own (dropped unless kept), prepare, run, the results files.

The files are written to a temporary directory and handed back as data: the command waiting for
the window may be on another machine, and writes them into `<out>/w<k>/` itself."""

from __future__ import annotations

import base64
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from trading_bot.backtest.windows import Window, WindowError
from trading_bot.config import Settings


def run_window(window: Window, settings: Settings, generated_at: datetime) -> dict[str, Any]:
    """`{"summary": summary.json's document, "files": {name: base64 of the file}}`; WindowError when
    the window cannot run here (data, period, database), with the reason."""
    import psycopg

    from trading_bot.backtest.database import backtest_database, ensure_new
    from trading_bot.backtest.kept_candles import keep_candles
    from trading_bot.backtest.results import write_results
    from trading_bot.backtest.runner import BacktestError, BacktestSpec, plan, prepare, run

    spec = BacktestSpec(data=list(window.data), instrument=window.instrument, start=window.start, end=window.end,
                        cycle=timedelta(seconds=window.cycle_seconds), equity=window.equity, run_id=window.run_id,
                        seed=window.seed)
    try:
        planned = plan(spec)
        ensure_new(settings.database_dsn(), window.run_id)
    except (BacktestError, FileExistsError) as exc:
        raise WindowError(f"window {window.number}: {exc}") from None
    except psycopg.OperationalError as exc:  # the worker's own DATABASE_URL (or embedded PostgreSQL)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WindowError(f"window {window.number}: this worker's PostgreSQL is unreachable ({reason})") from None
    if len(planned.slots) != window.cycles:  # the split and this venue must agree, or windows overlap
        raise WindowError(f"window {window.number}: {len(planned.slots)} cycle slots between {window.start.isoformat()} "
                          f"and {window.end.isoformat()} here, {window.cycles} where it was split")
    settings = settings.model_copy(update={"brain_mode": window.brain})
    with backtest_database(settings.database_dsn(), window.run_id, keep=window.keep) as target, \
            tempfile.TemporaryDirectory(prefix="tb-window-") as tmp:
        backtest = prepare(planned, settings, target.db)
        outcome = run(backtest)
        if window.keep:
            keep_candles(backtest.exchange, window.instrument, outcome.start, outcome.end, target.db)
            target.db.commit()
        results = write_results(backtest, outcome, target.db, Path(tmp), window.brain, generated_at,
                                extra={"database": target.name if window.keep else None, "replay_of": None})
        files = {path.name: base64.b64encode(path.read_bytes()).decode("ascii")
                 for path in sorted(Path(tmp).iterdir()) if path.is_file()}
    return {"summary": results.summary, "files": files}
