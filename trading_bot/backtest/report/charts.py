"""The report's charts as PNG bytes, drawn with matplotlib's object API on the Agg canvas (no
display, no pyplot global state, safe in threads). A chart without data is None, not an empty
picture; the HTML says what is missing instead."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

import matplotlib
import numpy as np

matplotlib.use("Agg")

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from trading_bot.backtest.calibration import CalibrationBucket  # noqa: E402
from trading_bot.backtest.equity_stats import drawdown_series  # noqa: E402
from trading_bot.backtest.inputs import ClosedTrade, EquityPoint  # noqa: E402
from trading_bot.backtest.report.data import Funnel  # noqa: E402
from trading_bot.backtest.trade_stats import TradeStats  # noqa: E402

GREEN, RED, BLUE, GREY = "#2e9d5b", "#d0453d", "#3465a4", "#8a8f98"
DPI = 100
MAX_LINE_POINTS = 3000  # a chart is ~1,100 pixels wide; more points only cost time


def _days(times: Sequence[datetime]) -> np.ndarray:
    """Matplotlib date numbers (days since 1970-01-01 UTC), computed without per-point unit conversion."""
    return np.fromiter((t.timestamp() for t in times), dtype=float, count=len(times)) / 86400.0


def _decimate(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most ~MAX_LINE_POINTS points: per bucket the lowest and the highest, in time order, so
    peaks and troughs (the drawdown's bottom) survive."""
    if len(x) <= MAX_LINE_POINTS:
        return x, y
    size = -(-len(x) // (MAX_LINE_POINTS // 2))
    keep = set()
    for start in range(0, len(x), size):
        chunk = y[start:start + size]
        keep.update((start + int(np.argmin(chunk)), start + int(np.argmax(chunk))))
    index = np.array(sorted(keep | {0, len(x) - 1}))
    return x[index], y[index]


def _line(axis, times: Sequence[datetime], values: Sequence[float], **style) -> None:  # noqa: ANN001
    x, y = _decimate(_days(times), np.asarray(values, dtype=float))
    axis.plot(x, y, **style)


def _date_axis(axis) -> None:  # noqa: ANN001
    axis.xaxis.set_major_locator(mdates.AutoDateLocator())
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axis.xaxis.get_major_locator()))


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    return buffer.getvalue()


def _style(axis) -> None:  # noqa: ANN001
    axis.grid(True, alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)


def equity_chart(equity: Sequence[EquityPoint], benchmark: Sequence[tuple[datetime, Decimal]] = ()) -> bytes | None:
    """Equity (and buy-and-hold started with the same equity) above the drawdown below its peak."""
    if len(equity) < 2:
        return None
    figure = Figure(figsize=(11, 5.5))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    _line(top, [p.ts for p in equity], [float(p.equity) for p in equity], color=BLUE, linewidth=1.4, label="equity")
    if len(benchmark) >= 2:
        scale = float(equity[0].equity) / float(benchmark[0][1])
        _line(top, [ts for ts, _ in benchmark], [float(px) * scale for _, px in benchmark], color=GREY, linewidth=1,
              linestyle="--", label="buy and hold")
    top.set_ylabel("USDT")
    top.legend(loc="upper left")
    drawdown = drawdown_series(equity)
    x, y = _decimate(_days([ts for ts, _ in drawdown]), np.array([-100 * dd for _, dd in drawdown]))
    bottom.fill_between(x, y, 0, color=RED, alpha=0.4)
    bottom.set_ylabel("drawdown %")
    for axis in (top, bottom):
        _style(axis)
    _date_axis(bottom)
    return _png(figure)


def price_chart(prices: Sequence[tuple[datetime, Decimal]], trades: Sequence[ClosedTrade],
                instrument: str | None) -> bytes | None:
    """Close prices with each trade's entry (▲ long, ▼ short) and exit (●: green won, red lost)."""
    if len(prices) < 2:
        return None
    figure = Figure(figsize=(11, 4.8))
    axis = figure.subplots()
    _line(axis, [ts for ts, _ in prices], [float(px) for _, px in prices], color=GREY, linewidth=0.9, label="close")
    shown = [t for t in trades if t.entry_px is not None and t.exit_px is not None
             and (instrument is None or t.instrument == instrument)]
    for side, marker, colour in (("long", "^", GREEN), ("short", "v", RED)):
        entries = [t for t in shown if t.side == side]
        axis.scatter(_days([t.entry_ts for t in entries]), [float(t.entry_px or 0) for t in entries], marker=marker,
                     s=28, color=colour, label=f"{side} entry", zorder=3)
    for won, colour in ((True, GREEN), (False, RED)):
        exits = [t for t in shown if (t.net_pnl > 0) == won]
        axis.scatter(_days([t.exit_ts for t in exits]), [float(t.exit_px or 0) for t in exits], marker="o", s=14,
                     facecolors="none", edgecolors=colour, label="exit, won" if won else "exit, lost", zorder=3)
    axis.set_title(instrument or "")
    axis.set_ylabel("USDT")
    axis.legend(loc="upper left", fontsize=8, ncols=3)
    _style(axis)
    _date_axis(axis)
    return _png(figure)


def breakdown_chart(by_strategy: dict[str, TradeStats], by_regime: dict[str, TradeStats]) -> bytes | None:
    """Net PnL per strategy and per regime, side by side."""
    if not by_strategy:
        return None
    figure = Figure(figsize=(11, 4))
    for axis, groups, title in zip(figure.subplots(1, 2), (by_strategy, by_regime), ("strategy", "regime"),
                                   strict=True):
        names = list(groups)
        values = [float(groups[n].net_pnl) for n in names]
        axis.barh(names, values, color=[GREEN if v >= 0 else RED for v in values])
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(f"net PnL by {title} (USDT)")
        _style(axis)
    return _png(figure)


def funnel_chart(funnel: Funnel | None) -> bytes | None:
    if funnel is None or not funnel.cycles:
        return None
    stages = funnel.stages()
    figure = Figure(figsize=(9, 3.6))
    axis = figure.subplots()
    names, counts = [name for name, _ in stages][::-1], [count for _, count in stages][::-1]
    axis.barh(names, counts, color=BLUE)
    for y, count in enumerate(counts):
        axis.annotate(f"{count:,} ({count / funnel.cycles:.1%})", (count, y), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=9)
    axis.set_title("screener funnel: cycles → trades")
    axis.set_xlim(0, funnel.cycles * 1.25)
    _style(axis)
    return _png(figure)


def llm_cost_chart(cost_by_day: dict[date, dict[str, Decimal]]) -> bytes | None:
    """USD per UTC day, stacked by model."""
    if not cost_by_day:
        return None
    days = sorted(cost_by_day)
    models = sorted({model for costs in cost_by_day.values() for model in costs})
    figure = Figure(figsize=(11, 3.8))
    axis = figure.subplots()
    bottom = [0.0] * len(days)
    for model in models:
        values = [float(cost_by_day[day].get(model, Decimal(0))) for day in days]
        axis.bar(days, values, bottom=bottom, label=model, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_ylabel("USD")
    axis.set_title("LLM cost per day")
    axis.legend(loc="upper left", fontsize=8)
    _style(axis)
    figure.autofmt_xdate()
    return _png(figure)


def calibration_chart(buckets: Sequence[CalibrationBucket]) -> bytes | None:
    """Realised win rate against stated confidence per bucket; the diagonal is perfect calibration."""
    if not buckets:
        return None
    figure = Figure(figsize=(5.5, 5))
    axis = figure.subplots()
    axis.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="calibrated")
    largest = max(b.trades for b in buckets)
    axis.scatter([b.stated for b in buckets], [b.realised for b in buckets], color=BLUE, zorder=3,
                 s=[40 + 260 * b.trades / largest for b in buckets], label="buckets (size = trades)")
    for bucket in buckets:
        axis.annotate(f"{bucket.trades}", (bucket.stated, bucket.realised), xytext=(6, -3),
                      textcoords="offset points", fontsize=8)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("stated confidence")
    axis.set_ylabel("realised win rate")
    axis.legend(loc="upper left", fontsize=8)
    _style(axis)
    return _png(figure)
