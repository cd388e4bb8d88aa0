"""6. System health: bot state, candle freshness per timeframe, database size, cycles per hour and
their stage durations, last trade time."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import RUN

STAGES = f"""decision_cycles c CROSS JOIN LATERAL jsonb_array_elements(c.timeline) AS e
WHERE c.{RUN} AND $__timeFilter(c.started_at)"""
STATE_COLOURS = {"RUNNING": "green", "COOLDOWN": "yellow", "HALTED": "orange", "EMERGENCY_HALTED": "red"}

DASHBOARD = Dashboard(
    uid="tb-system",
    title="Trading Bot · System health",
    description="Is the bot running, is market data fresh, are cycles completing and how long each stage takes.",
    time_from="now-24h",
    panels=(
        Panel("Bot state", "stat", f"""
SELECT to_state AS state, ts AS since FROM bot_state_events WHERE {RUN} AND ts <= $__timeTo()::timestamptz
ORDER BY ts DESC, id DESC LIMIT 1""", ("state", "since"), width=6, height=4,
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^state$/", "values": False},
                       "colorMode": "background"},
              value_colours=STATE_COLOURS),
        Panel("Last trade opened", "stat", f"""
SELECT max(entry_ts) AS last_entry FROM trades WHERE {RUN}""", ("last_entry",), width=6, height=4,
              unit="dateTimeFromNow"),
        Panel("Last trade closed", "stat", f"""
SELECT max(exit_ts) AS last_exit FROM trades WHERE {RUN}""", ("last_exit",), width=6, height=4,
              unit="dateTimeFromNow"),
        Panel("Database size", "stat", """
SELECT pg_database_size(current_database()) AS bytes""", ("bytes",), width=6, height=4, unit="bytes"),
        Panel("Candle freshness", "table", """
SELECT instrument, timeframe, max(ts) AS last_bar, max(updated_at) AS last_write,
       extract(epoch from now() - max(updated_at))::float8 AS age_seconds
FROM candles GROUP BY 1, 2 ORDER BY 1, 2""", ("instrument", "timeframe", "last_bar", "last_write", "age_seconds"),
              width=12, height=7,
              description="Seconds since each (instrument, timeframe) was last written by ws-public or an import."),
        Panel("Cycles per hour by outcome", "timeseries", f"""
SELECT $__timeGroupAlias(started_at, '1h'), coalesce(outcome, stage) AS metric, count(*) AS value
FROM decision_cycles WHERE {RUN} AND $__timeFilter(started_at) GROUP BY 1, 2 ORDER BY 1""",
              ("time", "metric", "value"), width=12, height=7, format="time_series", bars=True,
              options={}),
        Panel("Stage durations", "barchart", f"""
SELECT e->>'stage' AS stage, avg((e->>'ms')::float8) AS avg_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY (e->>'ms')::float8) AS p95_ms
FROM {STAGES} GROUP BY 1 ORDER BY min((e->>'started_at')::timestamptz - c.started_at)""",
              ("stage", "avg_ms", "p95_ms"), width=12, height=8, x_field="stage", unit="ms",
              description="From each cycle's timeline: mean and 95th percentile per stage."),
        Panel("Stage duration per hour (p95)", "timeseries", f"""
SELECT $__timeGroupAlias(c.started_at, '1h'), e->>'stage' AS metric,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY (e->>'ms')::float8) AS value
FROM {STAGES} GROUP BY 1, 2 ORDER BY 1""", ("time", "metric", "value"), width=12, height=8, unit="ms",
              format="time_series"),
        Panel("Cycle latency", "timeseries", f"""
SELECT $__timeGroupAlias(started_at, '1h'),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95_ms
FROM decision_cycles WHERE {RUN} AND $__timeFilter(started_at) GROUP BY 1 ORDER BY 1""",
              ("time", "p50_ms", "p95_ms"), width=12, height=8, unit="ms", format="time_series"),
        Panel("Largest tables", "bargauge", """
SELECT relname AS table_name, pg_total_relation_size(relid) AS bytes
FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 10""", ("table_name", "bytes"), width=12, height=8,
              unit="bytes"),
        Panel("State changes", "table", f"""
SELECT ts, from_state, to_state, actor, reason, until FROM bot_state_events
WHERE {RUN} AND $__timeFilter(ts) ORDER BY ts DESC LIMIT 50""",
              ("ts", "from_state", "to_state", "actor", "reason", "until"), width=12, height=8),
        Panel("Recent cycle errors", "table", f"""
SELECT started_at, id AS cycle_id, stage, outcome, error FROM decision_cycles
WHERE {RUN} AND error IS NOT NULL AND $__timeFilter(started_at) ORDER BY started_at DESC LIMIT 50""",
              ("started_at", "cycle_id", "stage", "outcome", "error"), width=12, height=8),
    ),
)
