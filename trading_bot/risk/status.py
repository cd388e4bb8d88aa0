"""The bot's safety states and the numbers the gate reads about the bot itself (pure, no I/O).

`RiskStatus` is derived from the trade journal and the state events by `risk/counters.py`, so a
restart loses nothing; the gate only reads it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from trading_bot.clock import start_of_utc_day
from trading_bot.domain.market import Frozen


class BotState(StrEnum):
    RUNNING = "RUNNING"
    COOLDOWN = "COOLDOWN"  # no new entries until `until` (consecutive losses)
    HALTED = "HALTED"  # no new entries until `until` (next UTC day) or, with no `until`, an admin resume
    EMERGENCY_HALTED = "EMERGENCY_HALTED"  # everything closed; only an admin resume ends it

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def allows_entries(self) -> bool:
        return self is BotState.RUNNING


_SEVERITY = {BotState.RUNNING: 0, BotState.COOLDOWN: 1, BotState.HALTED: 2, BotState.EMERGENCY_HALTED: 3}


class RiskStatus(Frozen):
    state: BotState = BotState.RUNNING
    until: datetime | None = None  # when COOLDOWN/HALTED ends by itself (None: it does not)
    day_start: datetime  # 00:00 UTC of the day the daily baseline belongs to
    day_start_equity: Decimal | None  # USDT; equity at 00:00 UTC (or at a later admin resume that day)
    peak_equity: Decimal | None  # USDT; highest equity seen (since the last resume from EMERGENCY_HALTED)
    consecutive_losses: int = 0  # losing closed trades in a row, newest first (net PnL < 0)
    last_loss_at: datetime | None = None  # exit time of the newest losing trade of that streak
    paused_at: datetime | None = None  # last time the bot left RUNNING (a pause serves a losing streak)

    def effective_state(self, now: datetime) -> BotState:
        """The state at `now`: a COOLDOWN or HALTED whose end time has come (now ≥ until) is over."""
        if self.state in (BotState.COOLDOWN, BotState.HALTED) and self.until is not None and now >= self.until:
            return BotState.RUNNING
        return self.state

    def is_for_day_of(self, now: datetime) -> bool:
        return self.day_start == start_of_utc_day(now)


def next_utc_midnight(now: datetime) -> datetime:
    return start_of_utc_day(now) + timedelta(days=1)
