"""Two beats, the second a standby waiting for RedBeat's lock; the active one is killed (SIGKILL,
no lock release) mid-run. The standby must take over by itself once the lock expires, the cycles
go on with exactly one per slot throughout (no beat sent a slot twice), the slots of the takeover
are recorded `missed` by the sweeper with the beat as the cause, and the invariants hold."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.faults.conftest import CYCLE_SECONDS, PIPELINE, running_bot
from tests.kit import cycle_rows
from tests.kit.waiting import wait_until
from trading_bot.pipeline.schedule import LOCK_TIMEOUT_SECONDS, MAX_LOOP_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(420)]
ACQUIRED = "beat: Acquired lock"
SENT = "Sending due task cycle-"  # beat's line for each start_cycle it sends
TWICE = "cycle already started for this slot"  # worker-market's line for a slot sent twice
# the lock outlives its holder by at most its TTL, then the standby sees it free at its next try
TAKEOVER_SECONDS = LOCK_TIMEOUT_SECONDS + MAX_LOOP_SECONDS


def test_standby_beat_takes_over_from_a_killed_one(db_url: str, redis_url: str, namespace: str,
                                                   tmp_path: Path) -> None:
    workers = tuple(role for role in PIPELINE if role != "beat")
    with running_bot(db_url, redis_url, namespace, tmp_path, roles=workers) as bot:
        active = bot.stack.start_role("beat", key="beat-1")
        active.wait_for(ACQUIRED, timeout=60)
        standby = bot.stack.start_role("beat", key="beat-2")
        wait_until(lambda: cycle_rows.filled(bot.db), 150, "an entry to fill", lambda: cycle_rows.describe(bot.db))
        assert ACQUIRED not in standby.output and SENT not in standby.output, "the standby waits for the lock"

        time.sleep(CYCLE_SECONDS / 2)  # between two cycle starts
        sent_before = active.output.count(SENT)
        killed = time.monotonic()
        killed_at = datetime.now(UTC)  # (venue time = wall time on this simulator)
        active.signal(signal.SIGKILL)
        standby.wait_for(ACQUIRED, timeout=TAKEOVER_SECONDS + 20)
        took_over = time.monotonic() - killed
        first = cycle_rows.wait_for_normal_cycle(bot.db, killed_at, 60)
        # the sweeper (every minute, now sent by the standby) names the slots no beat started
        wait_until(lambda: [r for r in cycle_rows.rows(bot.db) if r.outcome == "missed"] and
                   not bot.invariants.cycles_ended(), 120, "the takeover's slots to be recorded",
                   lambda: "\n".join(bot.invariants.cycles_ended()) + "\n" + cycle_rows.describe(bot.db))
        breaks = bot.invariants.all(bot.run.lines())
        rows = [r for r in cycle_rows.rows(bot.db) if r.trigger == "beat"]
        twice = sum(line.count(TWICE) for line in bot.run.lines("worker-market"))
        sent_after = (active.output.count(SENT), standby.output.count(SENT))

    slots = [r.scheduled_for for r in rows]
    gap = [r for r in rows if killed_at < r.scheduled_for < first.scheduled_for]
    missed = [r for r in rows if r.outcome == "missed"]
    print(f"standby took over {took_over:.1f} s after the kill; first cycle {first.scheduled_for:%H:%M:%S}; "
          f"missed {[f'{r.scheduled_for:%H:%M:%S}' for r in missed]}")
    assert breaks == []
    assert took_over <= TAKEOVER_SECONDS, took_over
    assert sent_after[0] == sent_before, "the killed beat sent nothing more"
    # The standby may send the slot the killed beat sent last once more (it was killed between the send
    # and saving its last run): the slot's unique row makes that second start a no-op.
    assert twice <= 1 and len(slots) == len(set(slots)), "one cycle per slot"
    # every slot between the kill and the standby's first start is recorded missed, the beat named
    assert gap and len(gap) <= TAKEOVER_SECONDS // CYCLE_SECONDS + 1, cycle_rows.describe(bot.db)
    assert all(r.outcome == "missed" and "beat down or waiting for its lock" in (r.error or "") for r in gap), \
        [(r.outcome, r.error) for r in gap]
    assert first.scheduled_for - killed_at <= timedelta(seconds=TAKEOVER_SECONDS + CYCLE_SECONDS)
