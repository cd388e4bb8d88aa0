"""Silent hours and user-typed numbers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from trading_bot.telegram.alerts.notices import Notice
from trading_bot.telegram.alerts.policy import SilentHours, held_back
from trading_bot.telegram.views import UsageError, whole_number


def at(hour: int) -> datetime:
    return datetime(2026, 2, 5, hour, 30, tzinfo=UTC)


def test_silent_hours_across_midnight() -> None:
    silent = SilentHours.parse("22-6")
    assert silent is not None
    assert [h for h in range(24) if silent.contains(at(h))] == [0, 1, 2, 3, 4, 5, 22, 23]


def test_silent_hours_within_a_day_and_empty_windows() -> None:
    silent = SilentHours.parse("9-17")
    assert silent is not None and [h for h in range(24) if silent.contains(at(h))] == list(range(9, 17))
    assert SilentHours.parse("5-5") is None
    assert SilentHours.parse(None) is None


def test_only_info_and_warn_are_held() -> None:
    silent = SilentHours.parse("0-6")
    for severity, held in (("INFO", True), ("WARN", True), ("CRITICAL", False)):
        assert held_back(Notice(severity, "k", "t"), silent, at(3)) is held  # type: ignore[arg-type]
        assert held_back(Notice(severity, "k", "t"), silent, at(12)) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["-1", "0", "51", "99999999999", "1.5", "1e3", "1_0", "٣", " 7", "'; DROP TABLE trades;--", ""])
def test_whole_number_refuses_anything_but_plain_digits_in_range(text: str) -> None:
    with pytest.raises(UsageError):
        whole_number(text, "n", 1, 50)


def test_whole_number_accepts_the_range() -> None:
    assert [whole_number(t, "n", 1, 50) for t in ("1", "7", "50")] == [1, 7, 50]
