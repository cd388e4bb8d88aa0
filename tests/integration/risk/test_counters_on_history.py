"""The risk counters derived from a realistic journal (tests/kit/seed.py's 35-day history plus a
backtest run in the same database) match what the seed itself knows."""

from __future__ import annotations

from trading_bot.clock import ManualClock, start_of_utc_day
from trading_bot.risk.state import BotStateService
from trading_bot.storage.db import Database, engine_for
from trading_bot.storage.streams import Keys


def _expected(summary):  # noqa: ANN001, ANN202
    streak = 0
    for trade in reversed(summary.closed_trades):
        if trade.pnl + trade.fees + trade.funding >= 0:
            break
        streak += 1
    midnight = start_of_utc_day(summary.end)
    before = [p.equity for p in summary.equity if p.ts <= midnight]
    day_start = before[-1] if before else min(summary.equity, key=lambda p: p.ts).equity
    return streak, max(p.equity for p in summary.equity), day_start


def test_counters_match_the_seeded_journal_per_run(seeded_db):
    db = Database(engine_for(seeded_db.url.replace("postgresql://", "postgresql+psycopg://")))
    for summary in (seeded_db.seed.live, seeded_db.seed.backtest):
        service = BotStateService(db, None, Keys("unused"), ManualClock(summary.end), run_id=summary.run_id)
        status = service.status()
        streak, peak, day_start = _expected(summary)
        assert (status.consecutive_losses, status.peak_equity, status.day_start_equity) == (streak, peak, day_start)
        assert status.day_start == start_of_utc_day(summary.end)
        assert status.state == (service.history(1)[0].state if summary.state_events else "RUNNING")
