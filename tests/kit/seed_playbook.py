"""Playbook versions of the seeded history: real `Playbook` documents (the default version 1, then
one version per deep reflection with a new lesson and notes), validated like the brain's own, with
change logs as the brain writes them (a list of strings)."""

from __future__ import annotations

from datetime import datetime

from trading_bot.brain.playbook import default_playbook
from trading_bot.domain.playbook import MAX_LESSONS, Lesson, Playbook


def first_version() -> tuple[Playbook, list[str]]:
    return default_playbook(), ["default playbook"]


def next_version(previous: Playbook, lesson: str, regime: str, strategy: str, notes: str,
                 at: datetime) -> tuple[Playbook, list[str]]:
    version = previous.version + 1
    learned = Lesson(text=lesson, source=f"reflection:{version}", regime=regime, strategy=strategy,  # type: ignore[arg-type]
                     created_at=at)
    proposed = previous.model_copy(update={"version": version, "lessons": [*previous.lessons, learned][-MAX_LESSONS:],
                                           "notes": notes})
    return Playbook.model_validate(proposed.model_dump()), [f"added lesson: {lesson}", f"notes: {notes}"]
