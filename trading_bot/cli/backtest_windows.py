"""`trading-bot backtest --windows N` (N > 1): the planned period split into N windows, sent to the
`backtest` queue, waited for with progress, each window's files written to `<out>/w<k>/` as it
finishes, then `<out>/windows.json` and the table of all windows."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trading_bot.cli.common import console, err_console, fail
from trading_bot.config import CONFIG_EXIT_CODE, Settings

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

    from trading_bot.backtest.dispatch import Finished
    from trading_bot.backtest.runner import Plan
    from trading_bot.backtest.windows import Window

COMBINED = "windows.json"
# Under 110 columns every cell breaks where it is meant to, so the table fits 80
NARROW = {"max drawdown": "max\ndrawdown", "buy & hold": "buy &\nhold"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:,.2f} %"


def plan_windows(planned: Plan, count: int, run_id: str, keep: bool) -> list[Window]:
    """The windows of the planned run; one line and exit 2 when they cannot be made."""
    from trading_bot.backtest.database import database_name_for
    from trading_bot.backtest.windows import WindowError, split, windows

    spec = planned.spec
    try:
        spans = split(planned.exchange.server_time(), planned.slots, count)
    except WindowError as exc:
        raise fail(str(exc), CONFIG_EXIT_CODE) from None
    data = [str(Path(p).resolve()) for p in spec.data]  # a worker's working directory is its own
    items = windows(spans, run_id, data, spec.instrument, int(spec.cycle.total_seconds()), spec.equity, spec.seed,
                    keep=keep)
    if len({database_name_for(w.run_id) for w in items}) < count:
        raise fail(f"--run-id {run_id}: too long for {count} windows (their database names, cut at 58 characters, "
                   f"would be the same); choose a shorter one", CONFIG_EXIT_CODE)
    return items


def run_windows(settings: Settings, items: list[Window], out_dir: Path, run_id: str, cycle: str) -> None:
    from trading_bot.backtest import dispatch
    from trading_bot.celery_app import app, configure

    configure(settings)
    try:
        dispatch.check_broker(settings.redis_dsn())
        found = dispatch.backtest_workers(app)
    except dispatch.DispatchError as exc:
        raise fail(str(exc), CONFIG_EXIT_CODE) from None
    first, last = items[0], items[-1]
    console.print(f"backtest {run_id}: {first.instrument}, {first.start:%Y-%m-%d %H:%M} → {last.end:%Y-%m-%d %H:%M} UTC "
                  f"in {len(items)} independent windows of {first.cycles} cycles of {cycle} or fewer, each from "
                  f"{first.equity:,} USDT and the default playbook, on the {dispatch.QUEUE} queue "
                  f"({len(found)} worker{'s' if len(found) != 1 else ''}: {', '.join(found)})", markup=False)
    sent = dispatch.submit(app, items)
    try:
        finished = _wait(app, sent, out_dir)
    except KeyboardInterrupt:
        dispatch.revoke(app, sent)
        err_console.print("stopped: the windows not started yet are revoked; running ones finish on their workers",
                          markup=False)
        raise typer.Exit(130) from None
    except dispatch.DispatchError as exc:
        raise fail(str(exc)) from None
    combined = _write_combined(out_dir, run_id, items, finished)
    console.print(windows_table(combined, wide=console.width >= 110))
    console.print(f"  {out_dir / COMBINED}", markup=False)
    if combined["failed"]:
        raise fail(f"{len(combined['failed'])} of {len(items)} windows failed; the table and {COMBINED} hold the others")


def _wait(app: Celery, sent: list[tuple[Window, AsyncResult]], out_dir: Path) -> list[Finished]:
    from trading_bot.backtest import dispatch
    from trading_bot.backtest.windows import window_row

    columns = (TextColumn("windows"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("windows", total=len(sent))

        def show(done: dispatch.Finished) -> None:
            bar.advance(task)
            count = int(bar.tasks[0].completed)
            w = done.window
            if done.error is not None:
                err_console.print(f"error: {done.error} ({count} of {len(sent)} done)", markup=False)
                return
            _write_files(out_dir / f"w{w.number}", done.files)
            row = window_row(w.number, done.summary, done.worker)  # type: ignore[arg-type]
            console.print(f"w{w.number} done ({count} of {len(sent)}): {w.start:%Y-%m-%d %H:%M} → {w.end:%Y-%m-%d %H:%M}, "
                          f"{row['trades']} trades, final equity {Decimal(row['final_equity']):,.2f} USDT, "
                          f"return {_pct(row['total_return'])}, on {done.worker}", markup=False)

        return dispatch.wait(app, sent, show)


def _write_files(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / Path(name).name).write_bytes(base64.b64decode(content))  # a bare name: stays in the directory


def _write_combined(out_dir: Path, run_id: str, items: list[Window], finished: list[Finished]) -> dict[str, Any]:
    from trading_bot.backtest.windows import combine, window_row

    first = items[0]
    run = {"run_id": run_id, "instrument": first.instrument, "start": first.start.isoformat(),
           "end": items[-1].end.isoformat(), "cycle_seconds": first.cycle_seconds,
           "cycles": sum(w.cycles for w in items), "initial_equity": str(first.equity), "brain": first.brain,
           "data": list(first.data), "window_count": len(items),
           "note": "independent windows: each starts from the initial equity and the default playbook"}
    rows = [window_row(f.window.number, f.summary, f.worker) for f in finished if f.error is None and f.summary is not None]
    combined = combine(run, rows, {f.window.number: f.error for f in finished if f.error is not None})
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / COMBINED).write_text(json.dumps(combined, indent=2) + "\n", encoding="utf-8")
    return combined


def windows_table(combined: dict[str, Any], wide: bool = True) -> Table:
    table = Table(title=f"backtest {combined['run_id']}: {combined['window_count']} independent windows")
    table.add_column("window")
    table.add_column("period (UTC)")
    for name in ("cycles", "trades", "return", "max drawdown", "buy & hold"):
        table.add_column(name if wide else NARROW.get(name, name), justify="right")
    gap = " " if wide else "\n"
    for row in combined["windows"]:
        period = f"{_when(row['start'])} →{gap}{_when(row['end'])}"
        table.add_row(f"w{row['window']}", period, f"{row['cycles']:,}", f"{row['trades']:,}",
                      _pct(row["total_return"]), _pct(row["max_drawdown"]), _pct(row["buy_and_hold_return"]))
    for number in combined["failed"]:
        table.add_row(f"w{number}", "failed", "", "", "", "", "")
    table.add_section()
    across = combined["across"]
    for label in ("median", "worst", "best"):
        table.add_row(label, "", "", "", _spread(across["total_return"], label, gap), "",
                      _spread(across["buy_and_hold_return"], label, gap))
    return table


def _when(iso: str) -> str:
    return iso[:16].replace("T", " ")


def _spread(stats: dict[str, Any] | None, label: str, gap: str) -> str:
    if stats is None:
        return "-"
    if label == "median":
        return _pct(stats["median"])
    return f"{_pct(stats[label]['value'])}{gap}(w{stats[label]['window']})"
