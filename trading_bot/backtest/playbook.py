"""The playbook store of a backtest: the run's database is its own and only this process writes
its playbook, so the current version is read once and kept until the next save (then read
again, exactly as stored)."""

from __future__ import annotations

from datetime import datetime

from trading_bot.brain.playbook import PlaybookStore
from trading_bot.domain.playbook import Playbook


class RunPlaybookStore(PlaybookStore):
    _current: Playbook | None = None

    def current(self, now: datetime) -> Playbook:
        if self._current is None:
            self._current = super().current(now)
        return self._current

    def save(self, playbook: Playbook, changes: list[str], created_by: str, now: datetime,
             parent: int | None = None) -> Playbook:
        self._current = None
        return super().save(playbook, changes, created_by, now, parent)
