"""PostgreSQL (the journal, the candles, the bot's state) stopped the hard way (`pg_ctl -m
immediate`: every connection cut mid-statement) while a cycle runs, and started again 10 s later.
Stage tasks retry what the outage refused, ws-public keeps the candles it could not write and
writes them when the server is back, ws-private catches up; the bot trades on by itself and every
slot of the outage has a row (missed, with PostgreSQL's restart as the cause, or run late)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.faults.conftest import CYCLE_SECONDS, running_bot
from tests.kit import cycle_rows
from tests.kit.own_servers import own_postgres
from tests.kit.waiting import wait_until
from trading_bot.storage import migrate
from trading_bot.storage.db import dispose_engines

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(420)]
OUTAGE_SECONDS = 10
RECOVERY_SECONDS = 30


def test_postgres_restarted_mid_cycle(redis_url: str, namespace: str, tmp_path: Path) -> None:
    with own_postgres() as pg:
        url = pg.create_database("faults")
        migrate.upgrade(url.replace("postgresql://", "postgresql+psycopg://"))
        dispose_engines()
        with running_bot(url, redis_url, namespace, tmp_path) as bot:
            wait_until(lambda: cycle_rows.filled(bot.db), 150, "an entry to fill", lambda: cycle_rows.describe(bot.db))
            bot.run.wait_for("worker-market", "stage", after=len(bot.run.lines("worker-market")))  # a cycle runs
            pg.stop("immediate")
            down = datetime.now(UTC)
            time.sleep(OUTAGE_SECONDS)
            pg.start()
            back = datetime.now(UTC)

            first = cycle_rows.wait_for_normal_cycle(bot.db, back, 120)
            recovered = (first.started_at - back).total_seconds()
            wait_until(lambda: not bot.invariants.cycles_ended(), 150, "every cycle and slot to be accounted for",
                       lambda: "\n".join(bot.invariants.cycles_ended()) + "\n" + cycle_rows.describe(bot.db))
            breaks = bot.invariants.all(bot.run.lines())
            during = [r for r in cycle_rows.rows(bot.db) if down <= r.scheduled_for <= back]
            story = cycle_rows.describe(bot.db)
            Path("/tmp/pg_run.log").write_text("\n".join(bot.run.lines()))
            kept = [line for line in bot.run.lines("ws-public") if "storage_recovered" in line and "postgresql" in line]

    print(f"PostgreSQL down {OUTAGE_SECONDS} s: first normal cycle {recovered:.1f} s after it was back; "
          f"slots in the outage: {[r.outcome for r in during]}")
    assert breaks == []
    assert recovered <= RECOVERY_SECONDS, story
    assert len(during) >= OUTAGE_SECONDS // CYCLE_SECONDS, "every slot of the outage has a row"
    assert all(r.outcome not in ("missed", "abandoned") or "PostgreSQL restarted at" in (r.error or "")
               or "no progress since" in (r.error or "") for r in during), [(r.outcome, r.error) for r in during]
    assert kept, "ws-public kept the candle updates PostgreSQL refused and wrote them when it was back"
