"""When an alert goes out: silent hours (INFO and WARN wait, CRITICAL never does) and the cooldown
(a repeat of the same kind for the same instrument within 60 s is counted, not sent).

Both read the injected clock. Cooldown marks live in Redis (`<ns>:telegram:cooldown:<key>`, with
a one-hour expiry for garbage collection; the clock decides), so a restarted bot keeps them. An
escalation passes: a notice more severe than the last one sent under its key is never held back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis

from trading_bot.clock import parse_iso
from trading_bot.storage.streams import Keys
from trading_bot.telegram.alerts.notices import RANK, Notice

COOLDOWN = timedelta(seconds=60)
MARK_TTL_SECONDS = 3600


@dataclass(frozen=True)
class SilentHours:
    """[start, end) in whole UTC hours; may wrap midnight (22-6). Equal ends mean never silent."""

    start: int
    end: int

    @classmethod
    def parse(cls, text: str | None) -> SilentHours | None:
        if not text:
            return None
        start, end = (int(part) for part in text.split("-"))
        return None if start == end else cls(start, end)

    def contains(self, when: datetime) -> bool:
        hour = when.hour
        if self.start < self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end

    def __str__(self) -> str:
        return f"{self.start:02d}:00–{self.end:02d}:00 UTC"


def held_back(notice: Notice, silent: SilentHours | None, now: datetime) -> bool:
    return notice.severity != "CRITICAL" and silent is not None and silent.contains(now)


class Cooldown:
    def __init__(self, client: redis.Redis, keys: Keys, period: timedelta = COOLDOWN) -> None:
        self._client, self._keys, self._period = client, keys, period

    def _mark(self, key: str) -> str:
        return self._keys.custom("telegram", "cooldown", key)

    def _count(self, key: str) -> str:
        return self._keys.custom("telegram", "suppressed", key)

    def admit(self, notice: Notice, now: datetime) -> bool:
        """True when the notice may go out now; otherwise it is counted as suppressed."""
        raw = self._client.get(self._mark(notice.key))
        if raw is not None:
            last = json.loads(raw)
            within = now - parse_iso(last["at"]) < self._period
            if within and RANK[notice.severity] <= RANK[last["severity"]]:
                self._client.incr(self._count(notice.key))
                self._client.expire(self._count(notice.key), MARK_TTL_SECONDS)
                return False
        return True

    def suppressed(self, notice: Notice) -> int:
        """How many repeats were suppressed since the last one under this key was sent."""
        return int(self._client.get(self._count(notice.key)) or 0)

    def record(self, pipe: redis.client.Pipeline, notice: Notice, now: datetime) -> None:
        """Queue on `pipe`: this notice went out (or was held) now; its suppressed count starts again."""
        mark = json.dumps({"at": now.isoformat(), "severity": notice.severity})
        pipe.set(self._mark(notice.key), mark, ex=MARK_TTL_SECONDS)
        pipe.delete(self._count(notice.key))
