"""The exchange's public market-data feed stalls for 90 s of market time: tickers, books, mark
price, funding (/public) and candles (/business) stop, while the private channel and REST go on
(the simulator's `pause_market_data`). The brain is the worst one for this fault: it holds while
the data is fresh and goes long as soon as the prompt flags it stale. The risk gate must refuse
every such entry (`stale_market_data`: the ticker, book or price was more than 60 s old when the
snapshot was taken), one stale-data alert goes out on `market:alerts` (Telegram relays it) and one
recovery notice when the data is fresh again, and the bot trades again by itself once the feed
resumes.

The watchdog is each cycle's snapshot: it measures the age of the data in market time (the
`stale_data` anomaly, deduplicated per episode). The WebSocket connections stay up through the
stall (the exchange still answers their pings), so the pushes flow again the moment it ends.

The simulator runs at 2× (10-second cycles every 5 s of wall time): the 90 s stall takes 45 s."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import running_bot
from tests.kit import cycle_rows
from tests.kit.fake_anthropic import FakeReply
from tests.kit.fake_trader import HOLD, SMALL_USAGE, FakeTrader
from tests.kit.waiting import wait_until
from trading_bot.clock import from_ms
from trading_bot.domain.events import Alert
from trading_bot.risk.limits import MAX_MARKET_DATA_AGE_SECONDS
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.streams import MARKET_ALERTS

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(300)]
SPEED = 2
STALL = timedelta(seconds=90)  # market time
RECOVERY = timedelta(seconds=30)  # market time from the resume to the entry's snapshot: three cycles
STALE_ALERT = re.compile(r"BTC-USDT-SWAP: no (ticker|order book) for (\d+) s")


class StaleChaser:
    """Haiku always signals; Opus holds on fresh data and opens a long whenever the prompt shows the
    stale-data anomaly."""

    def __init__(self, sim_url: str) -> None:
        self.trader = FakeTrader(sim_url, hold_when_open=False)

    def __call__(self, body: dict[str, Any]) -> FakeReply:
        if "haiku" in str(body.get("model")) or "anomaly: stale_data" in str(body.get("messages", "")):
            return self.trader(body)
        return FakeReply.answer({**HOLD, "reasoning": "test: fresh data, nothing to do"}, usage=SMALL_USAGE)


def venue_ms(answer: dict[str, Any]) -> int:
    """The venue's time in a simulator control answer."""
    return int(answer["ts"])


def taken(row: DecisionCycle) -> datetime:
    """When the cycle's snapshot was taken (a cycle starts a few seconds after its slot)."""
    return datetime.fromisoformat(row.snapshot["at"])


def age(row: DecisionCycle, source: str = "ticker") -> float:
    return float(row.snapshot["freshness_seconds"][source])


def test_a_stalled_market_feed_refuses_entries_alerts_once_and_recovers(db_url: str, redis_url: str, namespace: str,
                                                                       tmp_path: Path) -> None:
    with running_bot(db_url, redis_url, namespace, tmp_path, SIM_SPEED=str(SPEED)) as bot:
        bot.anthropic.responder = StaleChaser(bot.stack.sim_url)
        wait_until(lambda: "hold" in cycle_rows.outcomes(bot.db), 120, "a hold on fresh data (the bot is flat)",
                   lambda: cycle_rows.describe(bot.db))
        assert bot.invariants.venue_positions() == {}

        stalled_ms = venue_ms(bot.stack.sim_control("faults", pause_market_data=True))
        wait_until(lambda: venue_ms(bot.stack.sim_control("state")) >= stalled_ms + STALL.total_seconds() * 1000,
                   STALL.total_seconds() / SPEED + 30, "90 s of market time")
        bot.anthropic.responder = FakeTrader(bot.stack.sim_url)  # enters when flat
        resumed_ms = venue_ms(bot.stack.sim_control("faults", pause_market_data=False))
        stalled, resumed = from_ms(stalled_ms), from_ms(resumed_ms)

        wait_until(lambda: [r for r in cycle_rows.filled(bot.db) if r.started_at > resumed], 90,
                   "an entry to fill after the feed resumed", lambda: cycle_rows.describe(bot.db))
        wait_until(lambda: not bot.invariants.cycles_ended(), 90, "every cycle and slot to be accounted for",
                   lambda: "\n".join(bot.invariants.cycles_ended()) + "\n" + cycle_rows.describe(bot.db))
        breaks = bot.invariants.all(bot.run.lines())
        cycles = cycle_rows.rows(bot.db)
        entries = [o for o in bot.invariants.venue_orders() if o["clOrdId"].startswith("e")]
        alerts = [Alert.model_validate_json(f["data"]) for _, f in
                  bot.invariants.client.xrange(bot.invariants.keys.stream(MARKET_ALERTS))]
        story = cycle_rows.describe(bot.db)
        reconnects = sum("ws_reconnecting" in line for line in bot.run.lines("ws-public"))

    during = [c for c in cycles if c.snapshot is not None and stalled <= taken(c) < resumed]
    stale = [c for c in during if max(age(c, s) for s in ("ticker", "book")) > MAX_MARKET_DATA_AGE_SECONDS]
    fresh = [c for c in during if c not in stale]
    back = next(c for c in cycles if c.outcome == "filled" and taken(c) > resumed)
    # (a first cycle that ran before ws-public's first write may have had its own episode: no ticker)
    feed = [a for a in alerts if a.kind.startswith("stale_data") and a.ts >= stalled]
    print(f"stall {stalled:%H:%M:%S}–{resumed:%H:%M:%S}: {len(fresh)} cycles on fresh data, {len(stale)} on stale "
          f"data (ticker ages {[round(age(c)) for c in stale]} s); entry on a snapshot "
          f"{(taken(back) - resumed).total_seconds():.1f} s after the resume; "
          f"outcomes {dict(Counter(c.outcome for c in cycles))}; ws-public reconnected {reconnects} times")

    assert breaks == []
    # the gate had the last word on every snapshot of the stale feed: the brain wanted in each time
    assert len(stale) >= 2, story
    assert {(c.outcome, c.action, c.verdict["rule"]) for c in stale} == {("rejected", "OPEN_LONG", "stale_market_data")}
    for c in stale:  # the oldest of the snapshot's ticker, book and price, as the snapshot recorded it
        oldest = max(age(c, s) for s in ("ticker", "book", "price"))
        assert (c.verdict["numbers"]["age_seconds"], c.verdict["numbers"]["max_age_seconds"]) == (
            pytest.approx(oldest, abs=1e-6), 60)
    assert {c.outcome for c in fresh} == {"hold"}, story
    # nothing entered while the feed was stalled: the only entries on the venue came after it
    assert entries and all(int(o["cTime"]) >= resumed_ms for o in entries), entries
    # one alert for the stall, one when the data is fresh again, both at the right moments
    assert [(a.severity, a.kind) for a in feed] == [("WARN", "stale_data"), ("INFO", "stale_data_recovered")], feed
    found = STALE_ALERT.fullmatch(feed[0].message)
    assert found is not None and MAX_MARKET_DATA_AGE_SECONDS < int(found[2]) <= STALL.total_seconds(), feed[0].message
    assert stalled + timedelta(seconds=MAX_MARKET_DATA_AGE_SECONDS) < feed[0].ts < resumed
    assert resumed < feed[1].ts <= resumed + RECOVERY
    # and it trades again by itself, within three cycles of the resume
    assert taken(back) - resumed <= RECOVERY, story
    assert age(back) < 5 and age(back, "price") < 5
