"""A playbook store held in memory, for a backtest writing into a shared database: reflections
still evolve the playbook version by version inside the run, but `playbook_versions` (which has
no run_id) — the live bot's playbook — is never touched."""

from __future__ import annotations

from datetime import datetime

from trading_bot.brain.playbook import PlaybookStore, default_playbook
from trading_bot.domain.playbook import Playbook
from trading_bot.storage.repos.playbooks import PlaybookRow


class MemoryPlaybookStore(PlaybookStore):
    def __init__(self) -> None:  # no database
        self._rows: list[PlaybookRow] = []

    def current(self, now: datetime) -> Playbook:
        if not self._rows:
            self.save(default_playbook(), changes=["default playbook"], created_by="default", now=now)
        return Playbook.model_validate(self._rows[-1].content)

    def save(self, playbook: Playbook, changes: list[str], created_by: str, now: datetime) -> Playbook:
        version = len(self._rows) + 1
        stored = playbook.model_copy(update={"version": version})
        Playbook.model_validate(stored.model_dump())
        self._rows.append(PlaybookRow(version, version - 1 or None, stored.model_dump(mode="json"), list(changes),
                                      created_by, now))
        return stored

    def history(self) -> list[PlaybookRow]:
        return list(self._rows)
