"""The report page: one self-contained HTML file (inline CSS, charts as inline SVG, no script, no
external resource), one <section id=…> per topic, each chart in a <figure data-chart=…>. Text from
outside (strategy names, regimes, models, notes) is escaped."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

from trading_bot.backtest.calibration import CalibrationBucket
from trading_bot.backtest.equity_stats import EquityStats
from trading_bot.backtest.metrics import Metrics
from trading_bot.backtest.report.charts import Chart
from trading_bot.backtest.report.data import ReportData
from trading_bot.backtest.report.formatting import cell, duration, money, usd, when
from trading_bot.backtest.trade_stats import TradeStats

MAX_TRADE_ROWS = 1000
MAX_DAY_ROWS = 92  # LLM cost rows: a quarter; a longer run's chart still shows every day
STYLE = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1180px;color:#1d2330}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d8dce3;padding-bottom:.3rem;margin-top:2.2rem}
.meta{color:#5a6270}.notes li{color:#9a5b00}
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{padding:.25rem .7rem;border-bottom:1px solid #eceef2}
th{text-align:left;background:#f5f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:.6rem 0}svg.chart{display:block;max-width:100%;height:auto}.missing{color:#8a8f98;font-style:italic}
"""


@dataclass(frozen=True)
class Images:
    """The rendered charts by name (None = no data for it)."""

    charts: dict[str, Chart | None]

    def tag(self, name: str, missing: str) -> str:
        chart = self.charts.get(name)
        if chart is None:
            return f'<p class="missing">{escape(missing)}</p>'
        return f'<figure data-chart="{escape(name)}">{chart.svg}</figure>'


def _section(section_id: str, title: str, *body: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>\n' + "\n".join(body) + "\n</section>"


def _table(headers: Sequence[str], rows: Sequence[str]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"


# (key, label, kind) for the equity metrics, shown for the run and for buy-and-hold
EQUITY_ROWS = (("total_return", "Total return", "pct"), ("cagr", "CAGR", "pct"), ("sharpe", "Sharpe", "ratio"),
               ("sortino", "Sortino", "ratio"), ("calmar", "Calmar", "ratio"), ("volatility", "Volatility", "pct"))
TRADE_ROWS = (("net_pnl", "Net PnL (USDT)", "money"), ("trades", "Closed trades", "count"),
              ("wins", "Wins", "count"), ("losses", "Losses", "count"), ("win_rate", "Win rate", "pct"),
              ("profit_factor", "Profit factor", "ratio"), ("expectancy", "Expectancy (USDT per trade)", "money"),
              ("avg_win", "Average win (USDT)", "money"), ("avg_loss", "Average loss (USDT)", "money"),
              ("payoff_ratio", "Payoff ratio", "ratio"), ("avg_r_multiple", "Average R multiple", "ratio"),
              ("max_consecutive_wins", "Max consecutive wins", "count"),
              ("max_consecutive_losses", "Max consecutive losses", "count"),
              ("avg_hold", "Average hold", "duration"), ("fees", "Fees (USDT, − = paid)", "money"),
              ("funding", "Funding (USDT, − = paid)", "money"))


def _equity_rows(run: EquityStats | None, benchmark: EquityStats | None) -> list[str]:
    rows = []
    for key, label, kind in EQUITY_ROWS:
        rows.append(f"<tr><th>{label}</th>{cell(key, getattr(run, key) if run else None, kind)}"
                    f"{cell('bh.' + key, getattr(benchmark, key) if benchmark else None, kind)}</tr>")
    drawdown_rows: tuple[tuple[str, str, str, Callable[[EquityStats], Any]], ...] = (
        ("max_drawdown_pct", "Max drawdown", "pct", lambda s: s.max_drawdown.pct),
        ("max_drawdown_amount", "Max drawdown (USDT)", "money", lambda s: s.max_drawdown.amount),
        ("max_drawdown_peak", "Drawdown peak", "when", lambda s: s.max_drawdown.peak_ts),
        ("max_drawdown_trough", "Drawdown trough", "when", lambda s: s.max_drawdown.trough_ts),
        ("max_drawdown_recovery", "Recovered", "when", lambda s: s.max_drawdown.recovery_ts),
    )
    for key, label, kind, pick in drawdown_rows:
        rows.append(f"<tr><th>{label}</th>{cell(key, pick(run) if run else None, kind)}"
                    f"{cell('bh.' + key, pick(benchmark) if benchmark else None, kind)}</tr>")
    return rows


def _summary(data: ReportData, metrics: Metrics) -> str:
    equity_table = _table(("", "this run", "buy and hold"), _equity_rows(metrics.equity, metrics.buy_and_hold))
    trade_rows = [f"<tr><th>{label}</th>{cell(key, getattr(metrics.trades, key), kind)}</tr>"
                  for key, label, kind in TRADE_ROWS]
    trade_rows.append(f"<tr><th>Exposure (time in a position)</th>{cell('exposure', metrics.exposure, 'pct')}</tr>")
    trade_rows.append(f"<tr><th>LLM cost (USD)</th>{cell('llm_cost', data.llm_cost, 'money')}</tr>")
    trade_rows.append(f"<tr><th>LLM cost per closed trade (USD, all calls)</th>"
                      f"{cell('llm_cost_per_trade', data.llm_cost_per_trade, 'usd')}</tr>")
    # what the LLM has to earn back: USD and USDT taken at par
    trade_rows.append(f"<tr><th>Net PnL less LLM cost (USDT)</th>"
                      f"{cell('net_pnl_after_llm', metrics.trades.net_pnl - data.llm_cost, 'money')}</tr>")
    trade_rows.append(f"<tr><th>Positions still open</th>{cell('open_positions', data.open_positions, 'count')}</tr>")
    return _section("summary", "Summary", equity_table, _table(("", "this run"), trade_rows))


def _group_table(kind: str, groups: dict[str, TradeStats]) -> str:
    rows = []
    for name, stats in groups.items():
        key = f"{kind}.{name}"
        rows.append(f"<tr><th>{escape(name)}</th>{cell(key + '.trades', stats.trades, 'count')}"
                    f"{cell(key + '.win_rate', stats.win_rate, 'pct')}{cell(key + '.net_pnl', stats.net_pnl, 'money')}"
                    f"{cell(key + '.profit_factor', stats.profit_factor, 'ratio')}"
                    f"{cell(key + '.expectancy', stats.expectancy, 'money')}"
                    f"{cell(key + '.avg_r_multiple', stats.avg_r_multiple, 'ratio')}</tr>")
    return _table((kind, "trades", "win rate", "net PnL", "profit factor", "expectancy", "avg R"), rows)


def _funnel(data: ReportData, images: Images) -> str:
    if data.funnel is None:
        return _section("funnel", "Screener funnel", '<p class="missing">no decision cycles were recorded</p>')
    rows, previous = [], data.funnel.cycles
    for name, value in data.funnel.stages():
        key = "funnel." + name.replace(" ", "_")
        rows.append(f"<tr><th>{name}</th>{cell(key, value, 'count')}"
                    f"{cell(key + '.of_cycles', value / data.funnel.cycles, 'pct')}"
                    f"{cell(key + '.of_previous', value / previous if previous else None, 'pct')}</tr>")
        previous = value
    return _section("funnel", "Screener funnel", images.tag("funnel", ""),
                    _table(("stage", "cycles", "of all", "of previous stage"), rows))


def _calibration(buckets: Sequence[CalibrationBucket], images: Images) -> str:
    rows = [f"<tr><th>{b.label}</th>{cell(f'calibration.{b.label}.trades', b.trades, 'count')}"
            f"{cell(f'calibration.{b.label}.stated', b.stated, 'pct')}"
            f"{cell(f'calibration.{b.label}.realised', b.realised, 'pct')}"
            f"{cell(f'calibration.{b.label}.gap', b.gap, 'pct')}</tr>" for b in buckets]
    return _section("calibration", "Confidence calibration",
                    images.tag("calibration", "no trade carries a stated confidence"),
                    _table(("stated confidence", "trades", "mean stated", "realised win rate", "gap"), rows))


def _trades(data: ReportData) -> str:
    shown = list(data.trades)[-MAX_TRADE_ROWS:]
    note = (f"<p class=\"meta\">the last {len(shown):,} of {len(data.trades):,} trades</p>"
            if len(shown) < len(data.trades) else "")
    rows = [
        f"<tr><td>{t.trade_id or ''}</td><td>{escape(t.side)}</td><td>{escape(t.strategy)}</td>"
        f"<td>{escape(t.regime or '')}</td><td>{when(t.entry_ts)}</td><td class=\"num\">{money(t.entry_px)}</td>"
        f"<td>{when(t.exit_ts)}</td><td class=\"num\">{money(t.exit_px)}</td><td>{duration(t.hold)}</td>"
        f"<td class=\"num\">{money(t.fees + t.funding)}</td><td class=\"num\">{money(t.net_pnl)}</td>"
        + (cell(f"trade.{t.trade_id}.llm_cost", data.trade_llm_cost(t), "usd") if t.trade_id is not None
           else f"<td class=\"num\">{usd(data.trade_llm_cost(t))}</td>") + "</tr>"
        for t in shown
    ]
    return _section("trades", "Trades", note, _table(("id", "side", "strategy", "regime", "entry", "entry price",
                                                      "exit", "exit price", "hold", "fees + funding", "net PnL",
                                                      "LLM cost (USD)"), rows))


def _llm_cost(data: ReportData, images: Images) -> str:
    by_day = data.llm_cost_by_day
    if not by_day:
        return _section("llm-cost", "LLM cost per day and per trade", '<p class="missing">no LLM calls</p>')
    days = sorted(by_day)
    models = sorted({model for costs in by_day.values() for model in costs})
    shown = days[-MAX_DAY_ROWS:]
    note = f'<p class="meta">the last {len(shown):,} of {len(days):,} days</p>' if len(shown) < len(days) else ""
    rows = [f"<tr><th>{day.isoformat()}</th>"
            + "".join(cell(f"llm_cost.{day.isoformat()}.{model}", by_day[day].get(model, Decimal(0)), "usd")
                      for model in models)
            + cell(f"llm_cost.{day.isoformat()}", sum(by_day[day].values(), Decimal(0)), "usd") + "</tr>"
            for day in shown]
    rows.append("<tr><th>all days</th>"
                + "".join(cell(f"llm_cost.all.{model}", sum((by_day[d].get(model, Decimal(0)) for d in days),
                                                            Decimal(0)), "usd") for model in models)
                + cell("llm_cost.all", data.llm_cost, "usd") + "</tr>")
    per_trade = [
        f"<tr><th>all calls ÷ closed trades</th>{cell('llm_cost.per_trade', data.llm_cost_per_trade, 'usd')}</tr>",
        f"<tr><th>a trade's own calls (the cycle that opened it), mean</th>"
        f"{cell('llm_cost.own_per_trade', data.own_llm_cost_per_trade, 'usd')}</tr>",
    ]
    return _section("llm-cost", "LLM cost per day and per trade",
                    images.tag("llm_cost", "no LLM calls"), note,
                    _table(("UTC day", *models, "total"), rows),
                    images.tag("llm_trade_cost", "no closed trades, or the LLM calls cost nothing"),
                    _table(("per closed trade", "USD"), per_trade))


def _header(data: ReportData, metrics: Metrics, generated_at: datetime) -> str:
    notes = "".join(f"<li>{escape(n)}</li>" for n in data.notes)
    return (f"<header><h1>Performance report · {escape(data.run_id)}</h1>"
            f'<p class="meta">source: {escape(data.source)} · instrument: {escape(data.instrument or "—")} · '
            f"period: {when(metrics.start)} → {when(metrics.end)} · generated {when(generated_at)}</p>"
            + (f'<ul class="notes">{notes}</ul>' if notes else "") + "</header>")


def render_html(data: ReportData, metrics: Metrics, buckets: Sequence[CalibrationBucket], images: Images,
                generated_at: datetime) -> str:
    sections = [
        _summary(data, metrics),
        _section("equity", "Equity beside buy-and-hold, and drawdown",
                 images.tag("equity", "fewer than two equity observations")),
        _section("price", "Price with entries and exits",
                 images.tag("price", "no candles stored for the instrument")),
        _section("breakdown", "PnL by strategy and regime", images.tag("breakdown", "no closed trades"),
                 _group_table("strategy", metrics.by_strategy), _group_table("regime", metrics.by_regime)),
        _funnel(data, images),
        _llm_cost(data, images),
        _calibration(buckets, images),
        _trades(data),
    ]
    title = escape(f"Performance report · {data.run_id}")
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"<style>{STYLE}</style></head>\n<body>\n{_header(data, metrics, generated_at)}\n"
            + "\n".join(sections) + "\n</body></html>\n")
