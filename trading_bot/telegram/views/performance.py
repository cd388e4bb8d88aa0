"""/performance [day|week|all]: win rate, profit factor, Sharpe, max drawdown, net PnL, and the
same by strategy and by regime, from `backtest/metrics.py` (the one implementation the report and
the backtest use) over the journal's closed trades and the account's equity samples.

Windows are rolling (the last 24 hours, the last 7 days) so a morning's figures are not empty;
Sharpe uses hourly returns for those windows and daily returns for `all`, annualised (365 days).
"""

from __future__ import annotations

from datetime import timedelta

from trading_bot.backtest.metrics import Metrics, TradeStats, compute_metrics
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.storage.repos.trades import closed_trades
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, number, pairs, pct, ratio, table, usdt, utc
from trading_bot.telegram.views import Reply, Request, UsageError

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# period → (label, window length or None for everything, Sharpe sampling)
PERIODS = {
    "day": ("last 24 hours", DAY, HOUR),
    "week": ("last 7 days", 7 * DAY, HOUR),
    "all": ("all time", None, DAY),
}
USAGE = "usage: /performance [day|week|all] (default week)"


def performance_view(deps: BotDeps, request: Request) -> Reply:
    if len(request.args) > 1 or (request.args and request.args[0].lower() not in PERIODS):
        raise UsageError(USAGE)
    period = request.args[0].lower() if request.args else "week"
    return Reply(render(deps, period), buttons=[(PERIODS[p][0], f"perf:{p}") for p in PERIODS if p != period])


def render(deps: BotDeps, period: str) -> str:
    label, length, sample = PERIODS[period]
    now = deps.now()
    start = now - length if length is not None else None
    trades = closed_trades(deps.db, deps.run_id, start, now)
    equity = equity_repo.series(deps.db, deps.run_id, start, now)
    if not trades and len(equity) < 2:
        return f"<b>Performance · {label}</b>\n\nNo closed trades and no equity samples in this period."
    metrics = compute_metrics(trades, equity, sample=sample, start=start, end=now if start else None)
    head = f"<b>Performance · {label}</b>\n<i>{esc(utc(metrics.start))} → {esc(utc(metrics.end))}</i>"
    parts = [head, pairs(_summary(metrics, sample))]
    if metrics.by_strategy:
        parts.append("<b>By strategy</b>\n" + _group_table(metrics.by_strategy))
    if metrics.by_regime:
        parts.append("<b>By regime</b>\n" + _group_table(metrics.by_regime))
    return "\n\n".join(parts)


def _summary(metrics: Metrics, sample: timedelta) -> list[tuple[str, str]]:
    stats, eq = metrics.trades, metrics.equity
    rows = [
        ("trades", f"{stats.trades} ({stats.wins} won, {stats.losses} lost)"),
        ("win rate", pct(stats.win_rate)),
        ("net PnL", usdt(stats.net_pnl, signed=True)),
        ("profit factor", ratio(stats.profit_factor)),
        ("expectancy", usdt(stats.expectancy, signed=True) + " per trade"),
    ]
    if eq is not None:
        drawdown = eq.max_drawdown
        rows += [
            ("return", pct(eq.total_return, 2, signed=True)),
            ("Sharpe", f"{ratio(eq.sharpe)} ({'hourly' if sample == HOUR else 'daily'} returns, annualised)"),
            ("max drawdown", f"{pct(drawdown.pct, 2)} ({usdt(-drawdown.amount)})"),
        ]
    else:
        rows.append(("Sharpe", "n/a (fewer than two equity samples)"))
    return rows


def _group_table(groups: dict[str, TradeStats]) -> str:
    rows: list[tuple[str, ...]] = [("name", "n", "win", "PF", "net USDT")]
    for name, stats in sorted(groups.items(), key=lambda item: item[1].net_pnl, reverse=True):
        rows.append((name, str(stats.trades), pct(stats.win_rate, 0), ratio(stats.profit_factor),
                     number(stats.net_pnl, 2, signed=True)))
    return table(rows, right=(1, 2, 3, 4))
