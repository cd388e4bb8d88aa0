"""SQL fragments several dashboards share. Plain PostgreSQL (no TimescaleDB functions), so the
same text runs on the development machines and on the TimescaleDB of docker compose; grouping
by time goes through Grafana's `$__timeGroupAlias`, which the provisioned datasource expands to
`floor(extract(epoch from …)/n)*n` (its TimescaleDB switch is off on purpose).

Grafana expands `$__timeFilter(col)`, `$__timeFrom()`, `$__timeTo()` and `$__timeGroupAlias(col,
'1h')` on the server and substitutes the `$run_id` variable before that. Days are UTC days
whatever the session time zone (`date_trunc('day', ts, 'UTC')`); `$__timeFrom()`/`$__timeTo()` are
quoted text and need `::timestamptz` where a function takes them."""

from __future__ import annotations

RUN = "run_id = '$run_id'"
CLOSED = f"{RUN} AND status = 'closed'"
WIN = "CASE WHEN net_pnl > 0 THEN 1.0 ELSE 0.0 END"

# Mark price ≈ the close of the most recently written candle of each instrument (ws-public keeps
# updating the forming bar); ties go to the latest bar.
MARK_CTE = """mark AS (
    SELECT DISTINCT ON (instrument) instrument, close AS mark
    FROM candles
    ORDER BY instrument, updated_at DESC, ts DESC
)"""

# Daily equity closes with the convention of trading_bot/backtest/equity_stats.py: the first
# observation, then per UTC day the last observation at or before its end (an observation at
# exactly 00:00 closes the previous day). Days without any snapshot are skipped here (the metrics
# module repeats the previous close instead); account snapshots are written continuously.
DAILY_RETURNS_CTE = """points AS (
    SELECT ts, equity FROM account_snapshots WHERE run_id = '$run_id' AND $__timeFilter(ts)
), first_point AS (
    SELECT ts, equity FROM points ORDER BY ts LIMIT 1
), bounded AS (
    SELECT ts, equity, CASE WHEN ts = date_trunc('day', ts, 'UTC') THEN ts
                            ELSE date_trunc('day', ts, 'UTC') + interval '1 day' END AS day_end
    FROM points
), closes AS (
    (SELECT ts AS day_end, equity FROM first_point)
    UNION ALL
    (SELECT DISTINCT ON (day_end) day_end, equity FROM bounded
     WHERE day_end > (SELECT date_trunc('day', ts, 'UTC') FROM first_point)
     ORDER BY day_end, ts DESC)
), returns AS (
    SELECT day_end, equity / lag(equity) OVER (ORDER BY day_end) - 1 AS r FROM closes
)"""

# Equity at the end of the selected range and the running peak up to then.
EQUITY_NOW_CTE = """latest AS (
    SELECT equity FROM account_snapshots
    WHERE run_id = '$run_id' AND ts <= $__timeTo()::timestamptz ORDER BY ts DESC LIMIT 1
)"""
