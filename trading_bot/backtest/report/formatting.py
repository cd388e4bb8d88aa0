"""How report numbers are written: money with two decimals (LLM costs in USD four) and a thousands
separator, fractions as percentages, None as an em dash, times in UTC. Every cell also carries the exact value in a
`data-value` attribute (`exact`), so readers and tests never parse rounded text."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape
from typing import Any

MISSING = "—"


def money(value: Decimal | None) -> str:
    return MISSING if value is None else f"{value:,.2f}"


def usd(value: Decimal | None) -> str:
    """LLM costs: four places, a trade's calls cost cents."""
    return MISSING if value is None else f"{value:,.4f}"


def pct(value: float | None) -> str:
    return MISSING if value is None or math.isnan(value) else f"{value * 100:.2f} %"


def ratio(value: float | None) -> str:
    return MISSING if value is None or math.isnan(value) else f"{value:.2f}"


def count(value: int | None) -> str:
    return MISSING if value is None else f"{value:,}"


def when(value: datetime | None) -> str:
    return MISSING if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(value: timedelta | None) -> str:
    if value is None:
        return MISSING
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return f"{days}d {hours}h {mins}m" if days else f"{hours}h {mins}m"


def exact(value: Any) -> str:
    """The value as text without loss: Decimal as is, float by repr, times ISO-8601, durations in seconds."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return repr(value.total_seconds())
    if isinstance(value, float):
        return repr(value)
    return str(value)


FORMATS: dict[str, Callable[[Any], str]] = {"money": money, "usd": usd, "pct": pct, "ratio": ratio, "count": count,
                                            "when": when, "duration": duration}


def cell(key: str, value: Any, kind: str) -> str:
    """A table cell whose text is formatted by `kind` and whose data-value is exact."""
    return (f'<td class="num" data-metric="{escape(key)}" data-value="{escape(exact(value))}">'
            f"{escape(FORMATS[kind](value))}</td>")
