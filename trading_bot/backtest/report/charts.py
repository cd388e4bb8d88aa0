"""The report's charts, drawn with matplotlib's object API (no display, no pyplot global state,
safe in threads) and rendered twice by `render`: PNG for the files beside the report, SVG to
inline in the HTML (sharp at any zoom, and a browser can tell each drawn series apart). A chart
without data is None, not an empty picture; the HTML says what is missing instead.

Every plotted series is tagged with `_series(artist, name)`; the inline SVG carries the name as
`data-series` on the series' group (`svg.py`), one group per bar for bar charts."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import matplotlib
import numpy as np
from numpy.typing import NDArray

matplotlib.use("Agg")

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from trading_bot.backtest.calibration import CalibrationBucket  # noqa: E402
from trading_bot.backtest.equity_stats import drawdown_series  # noqa: E402
from trading_bot.backtest.inputs import ClosedTrade, EquityPoint  # noqa: E402
from trading_bot.backtest.report.data import Funnel  # noqa: E402
from trading_bot.backtest.report.svg import SERIES_PREFIX, inline_svg  # noqa: E402
from trading_bot.backtest.trade_stats import TradeStats  # noqa: E402

GREEN, RED, BLUE, GREY, ORANGE = "#2e9d5b", "#d0453d", "#3465a4", "#8a8f98", "#c17d11"
DPI = 100
MAX_LINE_POINTS = 3000  # a chart is ~1,100 pixels wide; more points only cost time


@dataclass(frozen=True)
class Chart:
    png: bytes
    svg: str  # an inline <svg> element, ids unique to this chart


def render(name: str, figure: Figure | None, label: str) -> Chart | None:
    if figure is None:
        return None
    png = io.BytesIO()
    figure.savefig(png, format="png", dpi=DPI, bbox_inches="tight")
    svg = io.BytesIO()
    figure.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    return Chart(png.getvalue(), inline_svg(svg.getvalue().decode("utf-8"), name, label, DPI))


def _series(artists: Any, name: str) -> None:
    """Tag a plotted series (an artist, or the patches of a bar container) for the SVG."""
    for artist in artists if isinstance(artists, Iterable) else [artists]:
        artist.set_gid(SERIES_PREFIX + name)


def _days(times: Sequence[datetime]) -> NDArray[Any]:
    """Matplotlib date numbers (days since 1970-01-01 UTC), computed without per-point unit conversion."""
    return np.fromiter((t.timestamp() for t in times), dtype=float, count=len(times)) / 86400.0


def _decimate(x: NDArray[Any], y: NDArray[Any]) -> tuple[NDArray[Any], NDArray[Any]]:
    """At most ~MAX_LINE_POINTS points: per bucket the lowest and the highest, in time order, so
    peaks and troughs (the drawdown's bottom) survive."""
    if len(x) <= MAX_LINE_POINTS:
        return x, y
    size = -(-len(x) // (MAX_LINE_POINTS // 2))
    keep: set[int] = set()
    for start in range(0, len(x), size):
        chunk = y[start:start + size]
        keep.update((start + int(np.argmin(chunk)), start + int(np.argmax(chunk))))
    index = np.array(sorted(keep | {0, len(x) - 1}))
    return x[index], y[index]


def _line(axis: Axes, name: str, times: Sequence[datetime], values: Sequence[float], **style: Any) -> None:
    x, y = _decimate(_days(times), np.asarray(values, dtype=float))
    (line,) = axis.plot(x, y, label=name, **style)
    _series(line, name)


def _date_axis(axis: Axes) -> None:
    axis.xaxis.set_major_locator(mdates.AutoDateLocator())
    axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(axis.xaxis.get_major_locator()))


def _style(axis: Axes) -> None:
    axis.grid(True, alpha=0.3)
    axis.spines[["top", "right"]].set_visible(False)


def equity_chart(equity: Sequence[EquityPoint], benchmark: Sequence[tuple[datetime, Decimal]] = ()) -> Figure | None:
    """Equity (and buy-and-hold started with the same equity) above the drawdown below its peak."""
    if len(equity) < 2:
        return None
    figure = Figure(figsize=(11, 5.5))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1.3]})
    _line(top, "equity", [p.ts for p in equity], [float(p.equity) for p in equity], color=BLUE, linewidth=1.4)
    if len(benchmark) >= 2:
        scale = float(equity[0].equity) / float(benchmark[0][1])
        _line(top, "buy and hold", [ts for ts, _ in benchmark], [float(px) * scale for _, px in benchmark],
              color=GREY, linewidth=1, linestyle="--")
    top.set_ylabel("USDT")
    top.legend(loc="upper left")
    drawdown = drawdown_series(equity)
    x, y = _decimate(_days([ts for ts, _ in drawdown]), np.array([-100 * dd for _, dd in drawdown]))
    _series(bottom.fill_between(x, y, 0, color=RED, alpha=0.4), "drawdown")
    bottom.set_ylabel("drawdown %")
    for axis in (top, bottom):
        _style(axis)
    _date_axis(bottom)
    return figure


def _markers(axis: Axes, name: str, times: Sequence[datetime], prices: Sequence[float], **style: Any) -> None:
    """One marker per point (a Line2D without a line: one <use> per point in the SVG)."""
    (line,) = axis.plot(_days(times), prices, linestyle="none", label=name, **style)
    _series(line, name)


def price_chart(prices: Sequence[tuple[datetime, Decimal]], trades: Sequence[ClosedTrade],
                instrument: str | None) -> Figure | None:
    """Close prices with each trade's entry (▲ long, ▼ short) and exit (○: green won, red lost)."""
    if len(prices) < 2:
        return None
    figure = Figure(figsize=(11, 4.8))
    axis = figure.subplots()
    _line(axis, "close", [ts for ts, _ in prices], [float(px) for _, px in prices], color=GREY, linewidth=0.9)
    shown = _on_chart(trades, instrument)
    for side, marker, colour in (("long", "^", GREEN), ("short", "v", RED)):
        entries = [t for t in shown if t.side == side]
        _markers(axis, f"{side} entry", [t.entry_ts for t in entries], [float(t.entry_px or 0) for t in entries],
                 marker=marker, markersize=5.5, color=colour, zorder=3)
    for won, colour in ((True, GREEN), (False, RED)):
        exits = [t for t in shown if (t.net_pnl > 0) == won]
        _markers(axis, "exit, won" if won else "exit, lost", [t.exit_ts for t in exits],
                 [float(t.exit_px or 0) for t in exits], marker="o", markersize=4, markerfacecolor="none",
                 markeredgecolor=colour, zorder=3)
    axis.set_title(instrument or "")
    axis.set_ylabel("USDT")
    axis.legend(loc="upper left", fontsize=8, ncols=3)
    _style(axis)
    _date_axis(axis)
    return figure


def _on_chart(trades: Sequence[ClosedTrade], instrument: str | None) -> list[ClosedTrade]:
    """The trades the price chart marks: those of its instrument with both prices known."""
    return [t for t in trades if t.entry_px is not None and t.exit_px is not None
            and (instrument is None or t.instrument == instrument)]


def breakdown_chart(by_strategy: dict[str, TradeStats], by_regime: dict[str, TradeStats]) -> Figure | None:
    """Net PnL per strategy and per regime, side by side."""
    if not by_strategy:
        return None
    figure = Figure(figsize=(11, 4))
    for axis, groups, title in zip(figure.subplots(1, 2), (by_strategy, by_regime), ("strategy", "regime"),
                                   strict=True):
        names = list(groups)
        values = [float(groups[n].net_pnl) for n in names]
        _series(axis.barh(names, values, color=[GREEN if v >= 0 else RED for v in values]), title)
        axis.axvline(0, color="black", linewidth=0.8)
        axis.set_title(f"net PnL by {title} (USDT)")
        _style(axis)
    return figure


def funnel_chart(funnel: Funnel | None) -> Figure | None:
    if funnel is None or not funnel.cycles:
        return None
    stages = funnel.stages()
    figure = Figure(figsize=(9, 3.6))
    axis = figure.subplots()
    names, counts = [name for name, _ in stages][::-1], [count for _, count in stages][::-1]
    _series(axis.barh(names, counts, color=BLUE), "stages")
    for y, count in enumerate(counts):
        axis.annotate(f"{count:,} ({count / funnel.cycles:.1%})", (count, y), xytext=(4, 0),
                      textcoords="offset points", va="center", fontsize=9)
    axis.set_title("screener funnel: cycles → trades")
    axis.set_xlim(0, funnel.cycles * 1.25)
    _style(axis)
    return figure


def llm_cost_chart(cost_by_day: Mapping[date, Mapping[str, Decimal]]) -> Figure | None:
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
        # matplotlib converts dates itself (its units registry); its stubs accept only numbers
        _series(axis.bar(cast(list[float], days), values, bottom=bottom, label=model, width=0.8), model)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_ylabel("USD")
    axis.set_title("LLM cost per day")
    axis.legend(loc="upper left", fontsize=8)
    _style(axis)
    figure.autofmt_xdate()
    return figure


def llm_trade_cost_chart(trades: Sequence[ClosedTrade], own_cost: Mapping[int, Decimal],
                         total_cost: Decimal) -> Figure | None:
    """Each trade's own LLM cost (the calls of the cycle that opened it) at its entry, beside the
    mean of those and the whole spend divided by the trades (screens that led nowhere included)."""
    if not trades or total_cost <= 0:
        return None
    figure = Figure(figsize=(11, 3.8))
    axis = figure.subplots()
    times = [t.entry_ts for t in trades]
    costs = [float(own_cost.get(t.trade_id, Decimal(0))) if t.trade_id is not None else 0.0 for t in trades]
    _markers(axis, "own calls", times, costs, marker="o", markersize=3.5, color=BLUE, zorder=3)
    span = _days([min(times), max(times)])
    all_calls = float(total_cost) / len(trades)
    levels: tuple[tuple[str, float, dict[str, Any]], ...] = (
        ("mean of own calls", sum(costs) / len(costs), {"color": BLUE, "linestyle": ":"}),
        ("all calls per trade", all_calls, {"color": ORANGE, "linestyle": "--"}),
    )
    for name, value, style in levels:
        (line,) = axis.plot(span, [value, value], linewidth=1.4, label=f"{name}: {value:.4f}", zorder=4, **style)
        _series(line, name)
    axis.set_ylim(0, max(*costs, all_calls) * 1.35)  # room for the legend above the highest
    axis.set_ylabel("USD")
    axis.set_title("LLM cost per trade (at its entry)")
    axis.legend(loc="upper left", fontsize=8)
    _style(axis)
    _date_axis(axis)
    return figure


def calibration_chart(buckets: Sequence[CalibrationBucket]) -> Figure | None:
    """Realised win rate against stated confidence per bucket; the diagonal is perfect calibration."""
    if not buckets:
        return None
    figure = Figure(figsize=(5.5, 5))
    axis = figure.subplots()
    (line,) = axis.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=1, label="calibrated")
    _series(line, "calibrated")
    largest = max(b.trades for b in buckets)
    _series(axis.scatter([b.stated for b in buckets], [b.realised for b in buckets], color=BLUE, zorder=3,
                         s=[40 + 260 * b.trades / largest for b in buckets], label="buckets (size = trades)"),
            "buckets")
    for bucket in buckets:
        axis.annotate(f"{bucket.trades}", (bucket.stated, bucket.realised), xytext=(6, -3),
                      textcoords="offset points", fontsize=8)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("stated confidence")
    axis.set_ylabel("realised win rate")
    axis.legend(loc="upper left", fontsize=8)
    _style(axis)
    return figure
