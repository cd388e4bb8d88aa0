"""3. Strategy performance: win rate, PnL, average R:R and trade count by strategy; trades by regime."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import CLOSED, WIN


def _by(column: str, label: str) -> str:
    """Closed trades grouped by `column`: count, win rate, net PnL, profit factor, R multiples."""
    return f"""
SELECT coalesce(nullif({column}, ''), '{label}') AS {column}, count(*) AS trades,
       avg({WIN})::float8 AS win_rate, sum(net_pnl)::float8 AS net_pnl,
       (sum(net_pnl) FILTER (WHERE net_pnl > 0) / nullif(-sum(net_pnl) FILTER (WHERE net_pnl < 0), 0))::float8
           AS profit_factor,
       avg(abs(take_profit - entry_px) / nullif(abs(entry_px - stop_loss), 0))::float8 AS avg_planned_rr,
       avg(r_multiple)::float8 AS avg_r_multiple
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts)
GROUP BY 1 ORDER BY net_pnl DESC"""


def _net_by(column: str, label: str) -> str:
    return f"""
SELECT coalesce(nullif({column}, ''), '{label}') AS {column}, sum(net_pnl)::float8 AS net_pnl
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) GROUP BY 1 ORDER BY 1"""


STRATEGY_COLUMNS = ("strategy", "trades", "win_rate", "net_pnl", "profit_factor", "avg_planned_rr", "avg_r_multiple")
LEGEND_OFF = {"legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []}}

DASHBOARD = Dashboard(
    uid="tb-strategies",
    title="Trading Bot · Strategy performance",
    description="How each strategy and each market regime performed: closed trades in the time range.",
    time_from="now-30d",
    panels=(
        Panel("By strategy", "table", _by("strategy", "unnamed"), STRATEGY_COLUMNS, width=24, height=7,
              description="avg_planned_rr: take-profit distance / stop-loss distance at entry; "
                          "avg_r_multiple: realised net PnL in units of the initial risk."),
        Panel("Net PnL by strategy", "barchart", _net_by("strategy", "unnamed"), ("strategy", "net_pnl"), width=8,
              x_field="strategy", unit="currencyUSD", options=LEGEND_OFF),
        Panel("Win rate by strategy", "bargauge", f"""
SELECT coalesce(nullif(strategy, ''), 'unnamed') AS strategy, avg({WIN})::float8 AS win_rate
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) GROUP BY 1 ORDER BY 1""", ("strategy", "win_rate"),
              width=8, unit="percentunit", min=0, max=1,
              thresholds=(("red", None), ("yellow", 0.4), ("green", 0.55))),
        Panel("Trades by strategy", "barchart", f"""
SELECT coalesce(nullif(strategy, ''), 'unnamed') AS strategy,
       count(*) FILTER (WHERE net_pnl > 0) AS wins, count(*) FILTER (WHERE net_pnl <= 0) AS losses
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) GROUP BY 1 ORDER BY 1""", ("strategy", "wins", "losses"),
              width=8, x_field="strategy", options={"stacking": "normal"}),
        Panel("Cumulative net PnL by strategy", "timeseries", f"""
SELECT exit_ts AS "time", coalesce(nullif(strategy, ''), 'unnamed') AS metric,
       sum(net_pnl) OVER (PARTITION BY strategy ORDER BY exit_ts, id)::float8 AS value
FROM trades WHERE {CLOSED} AND $__timeFilter(exit_ts) ORDER BY 1""", ("time", "metric", "value"),
              width=24, height=8, unit="currencyUSD", format="time_series"),
        Panel("By regime", "table", _by("regime", "unknown"),
              ("regime", *STRATEGY_COLUMNS[1:]), width=12, height=7,
              description="The market regime of the snapshot each trade was opened from."),
        Panel("Net PnL by regime", "barchart", _net_by("regime", "unknown"), ("regime", "net_pnl"),
              width=12, height=7, x_field="regime", unit="currencyUSD", options=LEGEND_OFF),
    ),
)
