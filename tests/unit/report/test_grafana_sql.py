"""The test-side Grafana expansion behaves like Grafana's PostgreSQL macro engine (cases from its
macros_test.go semantics) and like its variable substitution."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.kit.grafana_sql import MacroError, expand_macros, grafana_sql, rfc3339, substitute_variables

START = datetime(2018, 4, 12, 18, 0, tzinfo=UTC)
END = START + timedelta(minutes=5)


@pytest.mark.parametrize(("sql", "expected"), [
    ("select $__time(time_column)", 'select time_column AS "time"'),
    ("WHERE $__timeFilter(time_column)", "WHERE time_column BETWEEN '2018-04-12T18:00:00Z' AND '2018-04-12T18:05:00Z'"),
    ("select $__timeFrom()", "select '2018-04-12T18:00:00Z'"),
    ("select $__timeTo()", "select '2018-04-12T18:05:00Z'"),
    ("SELECT $__timeGroup(time_column,'5m')", "SELECT floor(extract(epoch from time_column)/300)*300"),
    ("SELECT $__timeGroupAlias(time_column , '5m')", 'SELECT floor(extract(epoch from time_column)/300)*300 AS "time"'),
    ("SELECT $__timeGroup(time_column,'5m'), value", 'SELECT floor(extract(epoch from time_column)/300)*300 AS "time", value'),
    ("SELECT $__timeGroup(time_column,'5m') as time, value",
     "SELECT floor(extract(epoch from time_column)/300)*300 as time, value"),
    ("SELECT $__timeGroupAlias(ts, '1d')", 'SELECT floor(extract(epoch from ts)/86400)*86400 AS "time"'),
])
def test_macros_expand_like_grafana(sql: str, expected: str) -> None:
    assert expand_macros(sql, START, END) == expected


def test_timescaledb_switch_uses_time_bucket() -> None:
    assert expand_macros("GROUP BY $__timeGroup(time_column , '5m')", START, END, timescaledb=True) \
        == "GROUP BY time_bucket('300.000s',time_column)"
    assert expand_macros("GROUP BY $__timeGroup(c, '12d')", START, END, timescaledb=True) \
        == "GROUP BY time_bucket('1036800.000s',c)"


def test_fractional_seconds_follow_rfc3339nano() -> None:
    assert rfc3339(datetime(1960, 2, 1, 7, 0, 0, 500_000, tzinfo=UTC)) == "1960-02-01T07:00:00.5Z"


def test_variables_are_substituted_before_macros_and_quotes_doubled() -> None:
    sql = "SELECT 1 WHERE run_id = '$run_id' AND x = '${run_id}' AND $__timeFilter(ts)"
    out = grafana_sql(sql, START, END, {"run_id": "o'brien"})
    assert out.startswith("SELECT 1 WHERE run_id = 'o''brien' AND x = 'o''brien' AND ts BETWEEN")
    assert substitute_variables("$run_id_x", {"run_id": "a"}) == "$run_id_x"  # another name, untouched


@pytest.mark.parametrize("sql", ["SELECT $__nope(x)", "SELECT $__timeGroup(x)", "SELECT '$unknown'",
                                 "SELECT $__timeGroup(x, 'soon')"])
def test_what_grafana_would_refuse_is_refused(sql: str) -> None:
    with pytest.raises(MacroError):
        grafana_sql(sql, START, END, {"run_id": "live"})
