"""The database refuses the first insert into `fills` (a trigger raises once: a constraint bug, a
lock timeout, a server hiccup), exactly when ws-private journals the bot's first entry fill. The
push is not lost: ws-private is then behind and runs its REST catch-up again until one succeeds,
so the fill ends up in `fills` and on `trade:fills` exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from tests.faults.conftest import running_bot
from tests.kit import cycle_rows
from tests.kit.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(300)]
FAIL_ONCE = """
CREATE SEQUENCE fault_fill_inserts;
CREATE FUNCTION fault_refuse_first_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('fault_fill_inserts') = 1 THEN  -- a sequence is not rolled back with the refused insert
    RAISE EXCEPTION 'fault injected: the first fill insert is refused';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fault_refuse_first_fill BEFORE INSERT ON fills FOR EACH ROW EXECUTE FUNCTION fault_refuse_first_fill();
"""


def test_a_refused_fill_insert_is_retried_not_lost(db_url: str, redis_url: str, namespace: str,
                                                   tmp_path: Path) -> None:
    with running_bot(db_url, redis_url, namespace, tmp_path) as bot:
        with bot.db.session() as session:
            session.execute(text(FAIL_ONCE))
        wait_until(lambda: cycle_rows.filled(bot.db), 150, "an entry to fill", lambda: cycle_rows.describe(bot.db))
        bot.run.wait_for("ws-private", "after_failures=1", timeout=60)  # (private_caught_up)
        breaks = bot.invariants.all(bot.run.lines())
        with bot.db.session() as session:
            attempts = session.execute(text("SELECT last_value FROM fault_fill_inserts")).scalar_one()
            fills = session.execute(text("SELECT count(*) FROM fills")).scalar_one()
        behind = [line for line in bot.run.lines("ws-private") if "private_behind" in line]

    assert breaks == []
    assert fills >= 1 and attempts == fills + 1, "one refused insert, then every fill stored once"
    assert len(behind) == 1 and "fault injected: the first fill insert is refused" in behind[0], behind
