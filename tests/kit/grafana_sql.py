"""Turn a panel's raw SQL into what Grafana sends to PostgreSQL, so tests can execute it.

Grafana first substitutes dashboard variables (`$run_id`, `${run_id}`; a single-valued variable is
inserted as is, with single quotes doubled), then its PostgreSQL backend expands the macros. The
macro rules follow Grafana's `pkg/tsdb/grafana-postgresql-datasource/macros.go` (11.x): the same
regular expression, the same pre-5.3 `$__timeGroup(…),` → alias rule, RFC 3339 times in UTC, and
`time_bucket(…)` only when the datasource has its TimescaleDB switch on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

MACRO = re.compile(r"\$([_a-zA-Z0-9]+)\(([^\)]*)\)")
INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


class MacroError(ValueError):
    """Grafana would answer this query with an error."""


def rfc3339(when: datetime) -> str:
    """Go's time.RFC3339Nano of a UTC time: fractional seconds only when present, zeros trimmed."""
    when = when.astimezone(UTC)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        text += f".{when.microsecond:06d}".rstrip("0")
    return text + "Z"


def _seconds(interval: str) -> float:
    match = INTERVAL.match(interval.strip().strip("'"))
    if not match:
        raise MacroError(f"error parsing interval {interval}")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


def _go_number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def substitute_variables(sql: str, variables: Mapping[str, str]) -> str:
    for name in sorted(variables, key=len, reverse=True):
        value = variables[name].replace("'", "''")
        sql = sql.replace("${" + name + "}", value)
        sql = re.sub(r"\$" + re.escape(name) + r"\b", lambda _, value=value: value, sql)
    return sql


def _time_group(args: list[str], timescaledb: bool) -> str:
    if len(args) < 2:
        raise MacroError("macro __timeGroup needs time column and interval and optional fill value")
    seconds = _seconds(args[1])
    if timescaledb:
        return f"time_bucket('{seconds:.3f}s',{args[0]})"
    return f"floor(extract(epoch from {args[0]})/{_go_number(seconds)})*{_go_number(seconds)}"


def _evaluate(name: str, args: list[str], start: datetime, end: datetime, timescaledb: bool) -> str:
    if name in ("__time", "__timeEpoch", "__timeFilter") and not args[0]:
        raise MacroError(f"missing time column argument for macro {name}")
    if name == "__time":
        return f'{args[0]} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {args[0]}) as "time"'
    if name == "__timeFilter":
        return f"{args[0]} BETWEEN '{rfc3339(start)}' AND '{rfc3339(end)}'"
    if name == "__timeFrom":
        return f"'{rfc3339(start)}'"
    if name == "__timeTo":
        return f"'{rfc3339(end)}'"
    if name == "__timeGroup":
        return _time_group(args, timescaledb)
    if name == "__timeGroupAlias":
        return _time_group(args, timescaledb) + ' AS "time"'
    raise MacroError(f'unknown macro "{name}"')


def expand_macros(sql: str, start: datetime, end: datetime, timescaledb: bool = False) -> str:
    def replace(match: re.Match[str]) -> str:
        name, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
        following = sql[match.end(): match.end() + 1]
        if name == "__timeGroup" and following == ",":  # Grafana's pre-5.3 compatibility rule
            name = "__timeGroupAlias"
        return _evaluate(name, args, start, end, timescaledb)

    return MACRO.sub(replace, sql)


def grafana_sql(sql: str, start: datetime, end: datetime, variables: Mapping[str, str],
                timescaledb: bool = False) -> str:
    """Variables, then macros; anything starting with `$` that is left over is an error."""
    expanded = expand_macros(substitute_variables(sql, variables), start, end, timescaledb)
    leftover = re.search(r"\$\{?[A-Za-z_]\w*", expanded)
    if leftover:
        raise MacroError(f"unexpanded {leftover.group(0)!r} in the query")
    return expanded

