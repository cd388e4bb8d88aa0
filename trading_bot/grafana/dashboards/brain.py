"""4. Brain activity: decisions per hour, average confidence, screener pass rate and its measured
miss rate (shadow analysis), LLM latency, LLM cost per day by model, recent screener logs."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import RUN

# Live decisions (shadow analyses of screened-out cycles never trade, so they are not decisions).
DECISIONS = f"{RUN} AND NOT shadow AND action IS NOT NULL AND $__timeFilter(started_at)"
OPENING = "action IN ('OPEN_LONG', 'OPEN_SHORT')"

DASHBOARD = Dashboard(
    uid="tb-brain",
    title="Trading Bot · Brain activity",
    description="What the screener and the analyst did, how sure they were, how often the screener "
                "missed a trade the analyst wanted (shadow analyses), and what the LLM calls cost.",
    time_from="now-2d",
    panels=(
        Panel("Screener pass rate", "stat", f"""
SELECT avg(CASE WHEN signal THEN 1.0 ELSE 0.0 END)::float8 AS pass_rate
FROM screener_logs WHERE {RUN} AND bypass_reason IS NULL AND $__timeFilter(ts)""", ("pass_rate",), width=6,
              height=4, unit="percentunit", decimals=1,
              description="Screens judged by the model that it let through to the analyst (bypassed cycles "
                          "excluded, as in the brain's low-pass-rate alert)."),
        Panel("Screener miss rate (shadow)", "stat", f"""
SELECT avg(CASE WHEN analyst_agreed THEN 0.0 ELSE 1.0 END)::float8 AS miss_rate, count(*) AS shadow_analyses
FROM screener_logs WHERE {RUN} AND shadow_analysed AND NOT signal AND $__timeFilter(ts)""",
              ("miss_rate", "shadow_analyses"), width=6, height=4, unit="percentunit", decimals=1,
              thresholds=(("green", None), ("yellow", 0.2), ("red", 0.4)),
              description="Among screened-out cycles analysed in shadow: the share where the analyst "
                          "would have traded.",
              options={"reduceOptions": {"calcs": ["lastNotNull"], "fields": "/^miss_rate$/", "values": False}}),
        Panel("Average confidence (entries)", "stat", f"""
SELECT avg((decision->>'confidence')::float8) AS avg_confidence
FROM decision_cycles WHERE {DECISIONS} AND {OPENING}""", ("avg_confidence",), width=6, height=4,
              unit="percentunit", decimals=1),
        Panel("LLM cost", "stat", f"""
SELECT coalesce(sum(cost_usd), 0)::float8 AS cost_usd FROM llm_calls WHERE {RUN} AND $__timeFilter(created_at)""",
              ("cost_usd",), width=6, height=4, unit="currencyUSD", decimals=2),
        Panel("Decisions per hour", "timeseries", f"""
SELECT $__timeGroupAlias(started_at, '1h'), action AS metric, count(*) AS value
FROM decision_cycles WHERE {DECISIONS} GROUP BY 1, 2 ORDER BY 1""", ("time", "metric", "value"),
              width=12, format="time_series", bars=True, options={}),
        Panel("Confidence of entries", "timeseries", f"""
SELECT $__timeGroupAlias(started_at, '1h'), avg((decision->>'confidence')::float8) AS avg_confidence
FROM decision_cycles WHERE {DECISIONS} AND {OPENING} GROUP BY 1 ORDER BY 1""", ("time", "avg_confidence"),
              width=12, unit="percentunit", format="time_series", min=0, max=1),
        Panel("Screener pass rate per hour", "timeseries", f"""
SELECT $__timeGroupAlias(ts, '1h'), avg(CASE WHEN signal THEN 1.0 ELSE 0.0 END)::float8 AS pass_rate
FROM screener_logs WHERE {RUN} AND bypass_reason IS NULL AND $__timeFilter(ts) GROUP BY 1 ORDER BY 1""",
              ("time", "pass_rate"),
              width=12, unit="percentunit", format="time_series", min=0, max=1),
        Panel("LLM latency by model (p95)", "timeseries", f"""
SELECT $__timeGroupAlias(created_at, '1h'), model AS metric,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS value
FROM llm_calls WHERE {RUN} AND $__timeFilter(created_at) GROUP BY 1, 2 ORDER BY 1""",
              ("time", "metric", "value"), width=12, unit="ms", format="time_series"),
        Panel("LLM cost per day by model", "timeseries", f"""
SELECT $__timeGroupAlias(created_at, '1d'), model AS metric, sum(cost_usd)::float8 AS value
FROM llm_calls WHERE {RUN} AND $__timeFilter(created_at) GROUP BY 1, 2 ORDER BY 1""",
              ("time", "metric", "value"), width=12, unit="currencyUSD", format="time_series", bars=True,
              options={}),
        Panel("LLM calls by purpose", "table", f"""
SELECT purpose, model, count(*) AS calls, avg(latency_ms)::float8 AS avg_latency_ms,
       sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       sum(cache_read_tokens) AS cache_read_tokens, sum(cost_usd)::float8 AS cost_usd,
       count(*) FILTER (WHERE error IS NOT NULL) AS errors
FROM llm_calls WHERE {RUN} AND $__timeFilter(created_at) GROUP BY 1, 2 ORDER BY cost_usd DESC""",
              ("purpose", "model", "calls", "avg_latency_ms", "input_tokens", "output_tokens", "cache_read_tokens",
               "cost_usd", "errors"), width=12),
        Panel("Recent screener logs", "table", f"""
SELECT ts, instrument, signal, reason, bypass_reason, shadow_analysed, analyst_action, analyst_agreed, model
FROM screener_logs WHERE {RUN} AND $__timeFilter(ts) ORDER BY ts DESC LIMIT 100""",
              ("ts", "instrument", "signal", "reason", "bypass_reason", "shadow_analysed", "analyst_action",
               "analyst_agreed", "model"), width=24, height=10),
    ),
)
