"""`trading-bot backtest --windows N`: the period's cycle slots split into N consecutive windows, and
the windows' results combined.

Each window is a backtest of its own (run id `<run id>-w<k>`, its own database, the given equity,
the default playbook): nothing carries from one window to the next, so they can run at once on
several machines. A window travels as plain data (`Window.payload`) to a worker of the `backtest`
queue (`backtest/tasks.py`). Its figures are read from its own summary.json — return and max
drawdown of the account's equity, buy-and-hold over the same window — so a window reports exactly
what the same period run on its own reports.

Pure: no database, no Celery, no clock."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from trading_bot.clock import parse_iso


class WindowError(ValueError):
    """The windows cannot be made or run as asked; the message says why (one line)."""


@dataclass(frozen=True)
class Span:
    """A window's period: the venue starts at `start` (the previous window's last slot, or the run's
    start) and the window runs the slots after it up to `end`, its last slot."""

    start: datetime
    end: datetime
    cycles: int


def split(start: datetime, slots: Sequence[datetime], count: int) -> list[Span]:
    """`count` consecutive spans over `slots` (the run's cycle slots, after `start`): equal numbers of
    slots, the first `len(slots) % count` spans one more; each slot in exactly one span."""
    if count < 1:
        raise WindowError(f"--windows: expected at least 1 window, got {count}")
    if count > len(slots):
        raise WindowError(f"--windows {count}: the period has only {len(slots)} cycle slots, fewer than the windows")
    size, extra = divmod(len(slots), count)
    spans, first, begin = [], 0, start
    for k in range(count):
        cycles = size + (k < extra)
        last = slots[first + cycles - 1]
        spans.append(Span(begin, last, cycles))
        begin, first = last, first + cycles
    return spans


@dataclass(frozen=True)
class Window:
    """Everything a worker needs to run one window, and nothing it must share with another."""

    number: int  # 1-based
    run_id: str  # `<run id>-w<number>`
    data: tuple[str, ...]  # absolute paths: the same files must be there on every worker's machine
    instrument: str
    start: datetime
    end: datetime
    cycles: int  # the slots the worker must find between start and end (checked before it runs)
    cycle_seconds: int
    equity: Decimal
    seed: int
    brain: str = "rules"
    keep: bool = False

    def payload(self) -> dict[str, Any]:
        """JSON-ready: times in ISO-8601, the equity as exact decimal text."""
        fields = asdict(self)
        return {**fields, "data": list(self.data), "start": self.start.isoformat(), "end": self.end.isoformat(),
                "equity": str(self.equity)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Window:
        return cls(**{**payload, "data": tuple(payload["data"]), "start": parse_iso(payload["start"]),
                      "end": parse_iso(payload["end"]), "equity": Decimal(payload["equity"])})


def windows(spans: Sequence[Span], run_id: str, data: Sequence[str], instrument: str, cycle_seconds: int,
            equity: Decimal, seed: int, keep: bool = False) -> list[Window]:
    return [Window(k, f"{run_id}-w{k}", tuple(data), instrument, span.start, span.end, span.cycles, cycle_seconds,
                   equity, seed, keep=keep) for k, span in enumerate(spans, start=1)]


def window_row(number: int, summary: dict[str, Any], worker: str | None) -> dict[str, Any]:
    """A window's line of windows.json, from its summary.json (returns are fractions: 0.05 = 5 %)."""
    metrics = summary["metrics"]
    equity, bench = metrics["equity"], metrics["buy_and_hold"]
    return {
        "window": number, "run_id": summary["run_id"], "start": summary["start"], "end": summary["end"],
        "cycles": summary["cycles"], "trades": metrics["trades"]["trades"],
        "initial_equity": summary["initial_equity"], "final_equity": summary["final_equity"],
        "total_return": None if equity is None else equity["total_return"],
        "max_drawdown": None if equity is None else equity["max_drawdown"]["pct"],
        "buy_and_hold_return": None if bench is None else bench["total_return"],
        "halted": summary["halted"], "worker": worker,
    }


def spread(rows: Sequence[dict[str, Any]], field: str) -> dict[str, Any] | None:
    """Median, worst and best of `field` over the windows that have it (worst/best name their window;
    a tie goes to the earlier window); None when no window has it."""
    known = sorted((row[field], row["window"]) for row in rows if row[field] is not None)
    if not known:
        return None
    worst = min(known)
    best = max(known, key=lambda item: (item[0], -item[1]))
    return {"median": statistics.median(value for value, _ in known), "windows": len(known),
            "worst": {"window": worst[1], "value": worst[0]}, "best": {"window": best[1], "value": best[0]}}


def combine(run: dict[str, Any], rows: Sequence[dict[str, Any]], failed: dict[int, str]) -> dict[str, Any]:
    """windows.json: the run, every finished window's row (in window order), the failed windows and
    their errors, and the spread of the strategy's and buy-and-hold's returns across the windows."""
    ordered = sorted(rows, key=lambda row: row["window"])
    return {**run, "windows": ordered, "failed": {str(k): failed[k] for k in sorted(failed)},
            "across": {"total_return": spread(ordered, "total_return"),
                       "buy_and_hold_return": spread(ordered, "buy_and_hold_return")}}
