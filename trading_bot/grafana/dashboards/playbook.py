"""7. Playbook evolution: version timeline, change log, confidence calibration (stated confidence vs
realised win rate by bucket), lessons."""

from trading_bot.grafana.model import Dashboard, Panel
from trading_bot.grafana.sql import CLOSED, RUN, WIN

# Stated confidence in buckets of 0.1 (0.9–1.0 includes 1.0, the label ends with the trade count)
# against the realised win rate.
CALIBRATION_SQL = f"""
WITH bucketed AS (
    SELECT least(floor(confidence * 10), 9) / 10 AS low, confidence, net_pnl
    FROM trades WHERE {CLOSED} AND confidence IS NOT NULL AND $__timeFilter(exit_ts)
)
SELECT to_char(low, 'FM0.0') || '–' || to_char(low + 0.1, 'FM0.0') || ' (' || count(*) || ')' AS bucket,
       avg(confidence)::float8 AS stated_confidence, avg({WIN})::float8 AS realised_win_rate
FROM bucketed GROUP BY low ORDER BY low"""

DASHBOARD = Dashboard(
    uid="tb-playbook",
    title="Trading Bot · Playbook evolution",
    description="How the playbook changed, what the reflections learned, and whether stated confidence "
                "matches realised win rates.",
    time_from="now-30d",
    panels=(
        Panel("Playbook version", "stat", """
SELECT max(version) AS version FROM playbook_versions WHERE created_at <= $__timeTo()::timestamptz""",
              ("version",), width=6, height=4),
        Panel("Reflections", "stat", f"""
SELECT count(*) FILTER (WHERE kind = 'post_trade') AS post_trade, count(*) FILTER (WHERE kind = 'deep') AS deep
FROM reflection_logs WHERE {RUN} AND $__timeFilter(created_at)""", ("post_trade", "deep"), width=6, height=4),
        Panel("Version timeline", "timeseries", """
SELECT created_at AS "time", version FROM playbook_versions WHERE $__timeFilter(created_at) ORDER BY 1""",
              ("time", "version"), width=12, height=4, format="time_series",
              options={"legend": {"showLegend": False, "displayMode": "list", "placement": "bottom", "calcs": []}}),
        Panel("Confidence calibration", "barchart", CALIBRATION_SQL,
              ("bucket", "stated_confidence", "realised_win_rate"), width=12, height=9, x_field="bucket",
              unit="percentunit",
              description="Per bucket of the analyst's stated confidence: its mean and the share of those "
                          "trades that won. A calibrated analyst has both bars equal.",
              options={"legend": {"showLegend": True, "displayMode": "list", "placement": "bottom", "calcs": []}}),
        Panel("Change log", "table", """
SELECT v.version, v.created_at, v.created_by, v.parent_version,
       CASE jsonb_typeof(c.value) WHEN 'string' THEN c.value #>> '{}' ELSE c.value::text END AS change
FROM playbook_versions v LEFT JOIN LATERAL jsonb_array_elements(v.change_log) WITH ORDINALITY AS c(value, n) ON true
WHERE $__timeFilter(v.created_at) ORDER BY v.version DESC, c.n""",
              ("version", "created_at", "created_by", "parent_version", "change"), width=12, height=9,
              description="One row per change; the brain writes each change as a sentence."),
        Panel("Lessons", "table", f"""
SELECT r.created_at, r.kind, l.lesson, r.trade_id, r.playbook_version_after AS new_version
FROM reflection_logs r CROSS JOIN LATERAL jsonb_array_elements_text(r.lessons) AS l(lesson)
WHERE r.{RUN} AND $__timeFilter(r.created_at) ORDER BY r.created_at DESC LIMIT 100""",
              ("created_at", "kind", "lesson", "trade_id", "new_version"), width=24, height=10),
    ),
)
