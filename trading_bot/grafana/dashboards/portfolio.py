"""1. Portfolio overview: equity curve, total PnL, win rate, daily PnL, drawdown, Sharpe."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import CLOSED, DAILY_RETURNS_CTE, RUN, WIN

DRAWDOWN_SQL = f"""
WITH curve AS (
    SELECT ts, equity, max(equity) OVER (ORDER BY ts) AS peak
    FROM account_snapshots WHERE {RUN} AND ts <= $__timeTo()::timestamptz
)
SELECT ts AS "time", (equity / peak - 1)::float8 AS drawdown
FROM curve WHERE $__timeFilter(ts) ORDER BY 1"""

DASHBOARD = Dashboard(
    uid="tb-portfolio",
    title="Trading Bot · Portfolio overview",
    description="Equity, PnL, win rate, drawdown and Sharpe of one run over the selected time range.",
    panels=(
        Panel("Net PnL", "stat", f"""
SELECT coalesce(sum(net_pnl), 0)::float8 AS net_pnl
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts)""", ("net_pnl",), width=4, height=4, unit="currencyUSD",
              description="Sum of closed trades' net PnL (price PnL + fees + funding), USDT.",
              thresholds=(("red", None), ("green", 0))),
        Panel("Return", "stat", f"""
SELECT (last.equity / first.equity - 1)::float8 AS total_return
FROM (SELECT equity FROM account_snapshots WHERE {RUN} AND $__timeFilter(ts) ORDER BY ts LIMIT 1) first,
     (SELECT equity FROM account_snapshots WHERE {RUN} AND $__timeFilter(ts) ORDER BY ts DESC LIMIT 1) last""",
              ("total_return",), width=4, height=4, unit="percentunit", decimals=2,
              thresholds=(("red", None), ("green", 0))),
        Panel("Win rate", "stat", f"""
SELECT avg({WIN})::float8 AS win_rate FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts)""",
              ("win_rate",), width=4, height=4, unit="percentunit", decimals=1,
              description="Closed trades with net PnL > 0 among all closed trades."),
        Panel("Trades", "stat", f"""
SELECT count(*) AS trades FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts)""", ("trades",),
              width=4, height=4),
        Panel("Sharpe (daily, annualised)", "stat", f"""
WITH {DAILY_RETURNS_CTE}
SELECT (avg(r) / nullif(stddev_samp(r), 0) * sqrt(365))::float8 AS sharpe FROM returns WHERE r IS NOT NULL""",
              ("sharpe",), width=4, height=4, decimals=2,
              description="Mean / sample standard deviation of daily returns × √365, risk-free rate 0; "
                          "days close at 00:00 UTC as in the report's metrics."),
        Panel("Max drawdown", "stat", f"""
SELECT coalesce(min(drawdown), 0) AS max_drawdown FROM ({DRAWDOWN_SQL}) d""", ("max_drawdown",),
              width=4, height=4, unit="percentunit", decimals=2,
              thresholds=(("red", None), ("orange", -0.1), ("yellow", -0.05), ("green", -0.02))),
        Panel("Equity", "timeseries", f"""
SELECT ts AS "time", equity::float8 AS equity
FROM account_snapshots WHERE {RUN} AND $__timeFilter(ts) ORDER BY 1""", ("time", "equity"),
              width=16, height=9, unit="currencyUSD", format="time_series",
              description="Account equity (realised + unrealised), USDT, from account snapshots."),
        Panel("Drawdown", "timeseries", DRAWDOWN_SQL, ("time", "drawdown"), width=8, height=9,
              unit="percentunit", format="time_series",
              description="Equity below its running peak since the run started."),
        Panel("Daily PnL", "timeseries", f"""
SELECT $__timeGroupAlias(exit_ts, '1d'), sum(net_pnl)::float8 AS net_pnl
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) GROUP BY 1 ORDER BY 1""", ("time", "net_pnl"),
              width=16, height=8, unit="currencyUSD", format="time_series", bars=True,
              description="Net PnL of the trades closed each UTC day."),
        Panel("Cumulative fees and funding", "timeseries", f"""
SELECT exit_ts AS "time", sum(fees) OVER (ORDER BY exit_ts, id)::float8 AS fees,
       sum(funding) OVER (ORDER BY exit_ts, id)::float8 AS funding
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) ORDER BY 1""", ("time", "fees", "funding"),
              width=8, height=8, unit="currencyUSD", format="time_series",
              description="Negative = paid."),
    ),
)
