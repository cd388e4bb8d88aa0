"""Price table arithmetic and the economic calendar data file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from trading_bot.brain.calendar import CalendarError, EconomicCalendar, parse_calendar
from trading_bot.brain.prices import PriceTable, UnknownModelPrice, Usage


def test_default_prices_match_the_published_list():
    table = PriceTable.load()
    opus, haiku = table.price("claude-opus-4-6"), table.price("claude-haiku-4-5-20251001")
    assert (opus.input, opus.output, opus.cache_write, opus.cache_read) == (5, 25, Decimal("6.25"), Decimal("0.5"))
    assert (haiku.input, haiku.output, haiku.cache_write, haiku.cache_read) == (1, 5, Decimal("1.25"), Decimal("0.1"))


def test_cost_is_exact_for_every_token_kind():
    usage = Usage(input_tokens=1234, output_tokens=567, cache_write_tokens=5000, cache_write_1h_tokens=1000,
                  cache_read_tokens=8901)
    # 1234×5 + 567×25 + 4000×6.25 + 1000×10 + 8901×0.5 = 6170 + 14175 + 25000 + 10000 + 4450.5 = 59795.5
    assert PriceTable.load().cost("claude-opus-4-6", usage) == Decimal("0.0597955")


def test_override_file_adds_and_replaces_models(tmp_path: Path):
    path = tmp_path / "prices.yaml"
    path.write_text("anthropic:\n  claude-opus-4-6: {input: 4, output: 20, cache_write: 5, cache_write_1h: 8, "
                    "cache_read: 0.4}\n  my-model: {input: 1, output: 2, cache_write: 1, cache_write_1h: 2, "
                    "cache_read: 0.1}\n")
    table = PriceTable.load(path)
    assert table.cost("claude-opus-4-6", Usage(input_tokens=1_000_000)) == 4
    assert table.has("my-model") and table.has("claude-haiku-4-5-20251001")
    with pytest.raises(UnknownModelPrice, match="no price for model 'gpt'"):
        table.cost("gpt", Usage())


def test_packaged_calendar_covers_2026_and_2027():
    calendar = EconomicCalendar.load()
    assert calendar.covers(2026) and calendar.covers(2027)
    fomc_2026 = [e.at for e in calendar.events if e.name == "FOMC" and e.at.year == 2026]
    assert len(fomc_2026) == 8 and fomc_2026[0] == datetime(2026, 1, 28, 19, 0, tzinfo=UTC)
    assert datetime(2026, 6, 17, 18, 0, tzinfo=UTC) in fomc_2026  # 2 pm EDT in summer
    for name in ("CPI", "NFP"):
        assert len([e for e in calendar.events if e.name == name and e.at.year == 2027]) == 12


def test_window_runs_from_30_minutes_before_to_15_after():
    event = datetime(2026, 3, 18, 18, 0, tzinfo=UTC)
    calendar = EconomicCalendar.load()
    assert calendar.in_window(event - timedelta(minutes=30)).name == "FOMC"
    assert calendar.in_window(event + timedelta(minutes=15)).name == "FOMC"
    assert calendar.in_window(event - timedelta(minutes=31)) is None
    assert calendar.in_window(event + timedelta(minutes=16)) is None


def test_bad_rows_name_their_line():
    with pytest.raises(CalendarError, match="row 3: unknown event 'GDP'"):
        parse_calendar("event,time_utc\nCPI,2026-01-13T13:30Z\nGDP,2026-01-30T13:30Z\n", "cal.csv")
    with pytest.raises(CalendarError, match="row 2: time_utc 'soon'"):
        parse_calendar("# comment\nevent,time_utc\nCPI,soon\n", "cal.csv")
