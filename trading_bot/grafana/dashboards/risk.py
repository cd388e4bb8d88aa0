"""5. Risk monitor: daily loss vs limit, drawdown vs limit, open positions, total exposure,
consecutive losses, recent rejections by rule. "Now" is the end of the selected time range, so a
past day can be inspected the same way. The thresholds are the hard limits of risk/limits.py: the
JSON is static, so stricter RISK_* settings of a deployment are not drawn (the dashboard says so)."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import CLOSED, EQUITY_NOW_CTE, RUN
from trading_bot.risk import limits

DAILY_LOSS = float(limits.MAX_DAILY_LOSS_PCT)
DRAWDOWN = float(limits.MAX_DRAWDOWN_PCT)
EXPOSURE = float(limits.MAX_TOTAL_EXPOSURE_PCT)

DASHBOARD = Dashboard(
    uid="tb-risk",
    title="Trading Bot · Risk monitor",
    description="The risk gate's hard limits and how close the account is to each, at the end of the time "
                "range. RISK_* settings can make a deployment stricter than the thresholds drawn here.",
    time_from="now-24h",
    panels=(
        Panel("Daily PnL vs limit", "gauge", f"""
WITH {EQUITY_NOW_CTE}, midnight AS (
    SELECT date_trunc('day', $__timeTo()::timestamptz, 'UTC') AS ts
), day_start AS (  -- the last equity before 00:00 UTC, or the day's first when the run started today
    SELECT coalesce(
        (SELECT equity FROM account_snapshots WHERE {RUN} AND ts <= (SELECT ts FROM midnight) ORDER BY ts DESC LIMIT 1),
        (SELECT equity FROM account_snapshots WHERE {RUN} AND ts > (SELECT ts FROM midnight) ORDER BY ts LIMIT 1)
    ) AS equity
)
SELECT ((SELECT equity FROM latest) / (SELECT equity FROM day_start) - 1)::float8 * 100 AS daily_pnl_pct""",
              ("daily_pnl_pct",), width=5, height=6, unit="percent", decimals=2, min=-2 * DAILY_LOSS,
              max=2 * DAILY_LOSS,
              thresholds=(("red", None), ("orange", -DAILY_LOSS), ("yellow", -DAILY_LOSS / 2), ("green", 0)),
              description=f"Equity now vs equity at 00:00 UTC; the bot halts at −{DAILY_LOSS:g} %."),
        Panel("Drawdown vs limit", "gauge", f"""
WITH {EQUITY_NOW_CTE}, peak AS (
    SELECT max(equity) AS equity FROM account_snapshots WHERE {RUN} AND ts <= $__timeTo()::timestamptz
)
SELECT ((SELECT equity FROM latest) / (SELECT equity FROM peak) - 1)::float8 * 100 AS drawdown_pct""",
              ("drawdown_pct",), width=5, height=6, unit="percent", decimals=2, min=-1.5 * DRAWDOWN, max=0,
              thresholds=(("red", None), ("orange", -DRAWDOWN), ("yellow", -DRAWDOWN / 2), ("green", -DRAWDOWN / 5)),
              description=f"Equity below its peak; EMERGENCY HALT at −{DRAWDOWN:g} %."),
        Panel("Open positions", "gauge", f"""
SELECT count(*) AS open_positions FROM trades
WHERE {RUN} AND entry_ts <= $__timeTo()::timestamptz AND (exit_ts IS NULL OR exit_ts > $__timeTo()::timestamptz)""",
              ("open_positions",), width=4, height=6, min=0, max=limits.MAX_OPEN_POSITIONS,
              thresholds=(("green", None), ("red", limits.MAX_OPEN_POSITIONS)),
              description=f"Limit {limits.MAX_OPEN_POSITIONS} concurrent positions."),
        Panel("Total exposure vs limit", "gauge", f"""
WITH {EQUITY_NOW_CTE}
SELECT (coalesce(sum(notional), 0) / (SELECT equity FROM latest))::float8 * 100 AS exposure_pct FROM trades
WHERE {RUN} AND entry_ts <= $__timeTo()::timestamptz AND (exit_ts IS NULL OR exit_ts > $__timeTo()::timestamptz)""",
              ("exposure_pct",), width=5, height=6, unit="percent", decimals=1, min=0, max=EXPOSURE,
              thresholds=(("green", None), ("yellow", EXPOSURE * 0.75), ("red", EXPOSURE)),
              description=f"Notional of open positions as % of equity; limit {EXPOSURE:g} %."),
        Panel("Consecutive losses", "stat", f"""
WITH closed AS (
    SELECT exit_ts, net_pnl FROM trades WHERE {CLOSED} AND exit_ts <= $__timeTo()::timestamptz
)
SELECT count(*) AS consecutive_losses FROM closed
WHERE net_pnl < 0 AND exit_ts > coalesce((SELECT max(exit_ts) FROM closed WHERE net_pnl >= 0), '-infinity')""",
              ("consecutive_losses",), width=5, height=6,
              thresholds=(("green", None), ("yellow", limits.MAX_CONSECUTIVE_LOSSES - 1),
                          ("red", limits.MAX_CONSECUTIVE_LOSSES)),
              description=f"Losing trades in a row; {limits.MAX_CONSECUTIVE_LOSSES} start a cooldown."),
        Panel("Rejections by rule", "barchart", f"""
SELECT rule, count(*) AS rejections FROM risk_rejections WHERE {RUN} AND $__timeFilter(ts)
GROUP BY 1 ORDER BY 2 DESC""", ("rule", "rejections"), width=8, height=8, x_field="rule",
              options={"orientation": "horizontal"}),
        Panel("Rejections per day", "timeseries", f"""
SELECT $__timeGroupAlias(ts, '1d'), rule AS metric, count(*) AS value
FROM risk_rejections WHERE {RUN} AND $__timeFilter(ts) GROUP BY 1, 2 ORDER BY 1""", ("time", "metric", "value"),
              width=16, height=8, format="time_series", bars=True, options={}),
        Panel("Recent rejections", "table", f"""
SELECT ts, instrument, rule, reason, decision->>'action' AS action, numbers::text AS numbers, cycle_id
FROM risk_rejections WHERE {RUN} AND $__timeFilter(ts) ORDER BY ts DESC LIMIT 50""",
              ("ts", "instrument", "rule", "reason", "action", "numbers", "cycle_id"), width=24, height=9),
    ),
)
