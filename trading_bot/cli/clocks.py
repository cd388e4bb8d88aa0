"""The clock a one-shot command stamps and judges the bot's state with (see exchange/venue_clock.py)."""

from __future__ import annotations

from trading_bot.clock import Clock
from trading_bot.config import Settings
from trading_bot.exchange.venue_clock import command_clock
from trading_bot.storage.db import Database
from trading_bot.storage.repos.recorded_time import last_recorded_time


def clock_for_command(settings: Settings, db: Database, run_id: str) -> Clock:
    return command_clock(settings, lambda: last_recorded_time(db, run_id))
