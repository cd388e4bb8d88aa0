"""The periods of /daily, /weekly and /monthly: UTC days, weeks from Monday, calendar months,
newest first, across month and year ends."""

from __future__ import annotations

from datetime import date

from trading_bot.telegram.views.periods import first_day, recent_periods


def test_first_days_of_the_period_holding_a_day() -> None:
    sunday = date(2026, 3, 1)
    assert first_day(sunday, "day") == sunday
    assert first_day(sunday, "week") == date(2026, 2, 23)  # the Monday before
    assert first_day(sunday, "month") == date(2026, 3, 1)
    assert first_day(date(2026, 2, 23), "week") == date(2026, 2, 23)


def test_recent_periods_count_back_across_year_ends() -> None:
    assert recent_periods(date(2026, 1, 2), "day", 3) == [date(2026, 1, 2), date(2026, 1, 1), date(2025, 12, 31)]
    assert recent_periods(date(2026, 1, 2), "week", 2) == [date(2025, 12, 29), date(2025, 12, 22)]
    assert recent_periods(date(2026, 2, 28), "month", 14) == [
        date(2026, 2, 1), date(2026, 1, 1), *(date(2025, m, 1) for m in range(12, 0, -1))]
