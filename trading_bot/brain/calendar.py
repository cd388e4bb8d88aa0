"""The economic calendar: high-impact US macro releases (FOMC, CPI, NFP) for 2026 and 2027.

The data is a CSV shipped in the package (`trading_bot/brain/data/economic_calendar.csv`; columns
`event,time_utc,status,note`, `#` lines are comments) that users can edit, or replace with their own
file through `ECONOMIC_CALENDAR_FILE`. A bad row stops loading with its line number.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from trading_bot.clock import parse_iso

KNOWN_EVENTS = frozenset({"FOMC", "CPI", "NFP"})
WINDOW_BEFORE = timedelta(minutes=30)  # the screener is bypassed from 30 minutes before a release...
WINDOW_AFTER = timedelta(minutes=15)  # ...until 15 minutes after it, when the first reaction settles


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class MacroEvent:
    name: str  # FOMC | CPI | NFP
    at: datetime
    status: str  # official | estimated
    note: str = ""


class EconomicCalendar:
    def __init__(self, events: list[MacroEvent]) -> None:
        self.events = sorted(events, key=lambda e: e.at)

    @classmethod
    def load(cls, path: Path | None = None) -> EconomicCalendar:
        if path is not None:
            return cls(parse_calendar(path.read_text(), str(path)))
        text = resources.files("trading_bot.brain").joinpath("data/economic_calendar.csv").read_text()
        return cls(parse_calendar(text, "economic_calendar.csv"))

    def in_window(self, now: datetime) -> MacroEvent | None:
        """The event whose window [at − 30 min, at + 15 min] contains `now`, if any."""
        for event in self.events:
            if event.at - WINDOW_BEFORE <= now <= event.at + WINDOW_AFTER:
                return event
        return None

    def upcoming(self, now: datetime, horizon: timedelta = timedelta(hours=24)) -> list[MacroEvent]:
        return [e for e in self.events if now - WINDOW_AFTER <= e.at <= now + horizon]

    def covers(self, year: int) -> bool:
        names = {e.name for e in self.events if e.at.year == year}
        return names >= KNOWN_EVENTS


def parse_calendar(text: str, source: str) -> list[MacroEvent]:
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    missing = {"event", "time_utc"} - set(reader.fieldnames or [])
    if missing:
        raise CalendarError(f"{source}: missing column(s) {', '.join(sorted(missing))}")
    events = []
    for number, row in enumerate(reader, start=2):
        events.append(_event(row, f"{source} row {number}"))
    return events


def _event(row: dict[str, str], where: str) -> MacroEvent:
    name = (row.get("event") or "").strip().upper()
    if name not in KNOWN_EVENTS:
        raise CalendarError(f"{where}: unknown event {name!r}; expected one of {', '.join(sorted(KNOWN_EVENTS))}")
    try:
        at = parse_iso(row.get("time_utc") or "")
    except ValueError:
        raise CalendarError(f"{where}: time_utc {row.get('time_utc')!r} is not ISO-8601 UTC") from None
    return MacroEvent(name, at, (row.get("status") or "").strip() or "official", (row.get("note") or "").strip())
