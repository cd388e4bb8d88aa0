"""The performance report: `generate_report(data, out_dir, generated_at)` writes `report.html`
(self-contained: opens offline, charts inline as SVG, no script) and one PNG per chart into `out_dir`.

`data` is a `ReportData`: from the database with `load_report_data(db, run_id, start, end)`, or
built by a backtest from its own trades, equity curve and prices. Every number comes from
`trading_bot.backtest.metrics` (and `calibration`), the same code behind Telegram and the backtest
summary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from matplotlib.figure import Figure

from trading_bot.backtest.calibration import calibration
from trading_bot.backtest.metrics import Metrics, compute_metrics
from trading_bot.backtest.report import charts
from trading_bot.backtest.report.data import Funnel, ReportData
from trading_bot.backtest.report.html import Images, render_html
from trading_bot.backtest.report.load import NoReportData, load_report_data

__all__ = ["Funnel", "NoReportData", "ReportData", "ReportFiles", "generate_report", "load_report_data"]

HTML_NAME = "report.html"


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    images: dict[str, Path]  # chart name → PNG written (charts without data are absent)
    metrics: Metrics


# chart name → what it shows (the SVG's label for screen readers)
LABELS = {
    "equity": "equity beside buy-and-hold, and drawdown",
    "price": "price with entries and exits",
    "breakdown": "net PnL by strategy and regime",
    "funnel": "screener funnel",
    "llm_cost": "LLM cost per day by model",
    "llm_trade_cost": "LLM cost per trade",
    "calibration": "confidence calibration",
}


def _figures(data: ReportData, metrics: Metrics) -> dict[str, Figure | None]:
    in_period = [(ts, px) for ts, px in data.prices
                 if (metrics.start is None or ts >= metrics.start) and (metrics.end is None or ts <= metrics.end)]
    return {
        "equity": charts.equity_chart(data.equity, in_period),
        "price": charts.price_chart(data.prices, data.trades, data.instrument),
        "breakdown": charts.breakdown_chart(metrics.by_strategy, metrics.by_regime),
        "funnel": charts.funnel_chart(data.funnel),
        "llm_cost": charts.llm_cost_chart(data.llm_cost_by_day),
        "llm_trade_cost": charts.llm_trade_cost_chart(data.trades, data.llm_cost_by_trade, data.llm_cost),
        "calibration": charts.calibration_chart(calibration(data.trades)),
    }


def generate_report(data: ReportData, out_dir: Path, generated_at: datetime) -> ReportFiles:
    metrics = compute_metrics(data.trades, data.equity, prices=data.prices or None, start=data.start, end=data.end)
    rendered = {name: charts.render(name, figure, LABELS[name])
                for name, figure in _figures(data, metrics).items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, chart in rendered.items():
        if chart is not None:
            written[name] = out_dir / f"{name}.png"
            written[name].write_bytes(chart.png)
    html_path = out_dir / HTML_NAME
    html_path.write_text(render_html(data, metrics, calibration(data.trades), Images(rendered), generated_at),
                         encoding="utf-8")
    return ReportFiles(html=html_path, images=written, metrics=metrics)
