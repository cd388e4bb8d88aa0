"""The Anthropic API answers 529 (overloaded) for 15 minutes of market time (a little more: up to
the next ten-minute boundary), then invalid JSON for ten minutes, then refusals for ten, then
properly again. Every cycle meanwhile ends in HOLD; the bot goes into safe mode with one alert (no
Claude call but one probe per ten-minute window), announces the recovery once, spends nothing on
the 529s, and trades again by itself.

The bound on requests: the SDK sends a call at most 1 + LLM_MAX_RETRIES = 2 times, and an unusable
answer raises nothing, so Celery does not run the stage again for it: a cycle makes at most one
screen and one analysis call, 2 × 2 = 4 requests; in safe mode 2 when it probes, 0 otherwise. (Only
an exchange or storage error makes Celery run a stage again, at most 3 times; none happens here,
which the one-call-per-stage-and-cycle check shows.)

The simulator runs at 30× (two-minute cycles every 4 s of wall time): the ~45 minutes of market
time take about two minutes."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.faults.conftest import running_bot
from tests.kit import cycle_rows
from tests.kit.fake_anthropic import FakeReply
from tests.kit.fake_trader import FakeTrader
from tests.kit.waiting import wait_until
from trading_bot.brain.safe_mode import PROBE_WINDOW
from trading_bot.domain.events import Alert
from trading_bot.storage.models import LlmCall, Order, ScreenerLog
from trading_bot.storage.repos.llm_calls import cost_between
from trading_bot.storage.streams import SYSTEM_ALERTS

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(300)]
SPEED, CYCLE_SECONDS = 30, 120
OVERLOADED_FOR = timedelta(minutes=15)
ATTEMPTS = 2  # 1 + LLM_MAX_RETRIES (1, the default)
MALFORMED_USAGE = {"input_tokens": 2400, "output_tokens": 20}  # $0.012000 + $0.000500 on Opus
REFUSAL_USAGE = {"input_tokens": 2400, "output_tokens": 5}  # $0.012000 + $0.000125: refusals are billed


ASKED_AT = re.compile(r"(?:Decide the action for |^)[A-Z]+-USDT-SWAP at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)[. ]", re.M)


def asked_at(body: dict[str, Any]) -> datetime:
    """The cycle time (`ctx.now`) a screen or analysis prompt states: what safe mode compares with
    its probe windows."""
    found = ASKED_AT.search(body["messages"][0]["content"])
    assert found is not None, body["messages"][0]["content"][:300]
    return datetime.strptime(found[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def window(at: datetime) -> int:
    return int(at.timestamp()) // int(PROBE_WINDOW.total_seconds())


class Outage:
    """Claude by the cycle's market time: 529 from the first request's until the first probe-window
    boundary at least OVERLOADED_FOR later (`broken`), then malformed JSON for one window, refusals
    for the next, then the fake trader (`healthy`)."""

    def __init__(self, sim_url: str) -> None:
        self.trader = FakeTrader(sim_url)
        self.first: datetime | None = None
        self.lock = threading.Lock()

    @property
    def broken(self) -> datetime:
        assert self.first is not None
        step = int(PROBE_WINDOW.total_seconds())
        return datetime.fromtimestamp(-(-int((self.first + OVERLOADED_FOR).timestamp()) // step) * step, UTC)

    @property
    def healthy(self) -> datetime:
        return self.broken + 2 * PROBE_WINDOW

    def __call__(self, body: dict[str, Any]) -> FakeReply:
        at = asked_at(body)
        with self.lock:
            self.first = self.first or at
        if at < self.broken:
            return FakeReply.error(529, "overloaded_error", "Overloaded")
        if at < self.broken + PROBE_WINDOW:
            return FakeReply.answer('{"action": "OPEN_LONG",,', usage=MALFORMED_USAGE)
        if at < self.healthy:
            return FakeReply(text="", stop_reason="refusal", usage=REFUSAL_USAGE)
        return self.trader(body)


def body_hash(body: dict[str, Any]) -> str:
    """As LlmRequest.prompt_hash: the request the SDK sent is the body we recorded."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode()).hexdigest()


def test_claude_overloaded_then_broken_then_refusing(db_url: str, redis_url: str, namespace: str,
                                                     tmp_path: Path) -> None:
    with running_bot(db_url, redis_url, namespace, tmp_path, SIM_SPEED=str(SPEED),
                     CYCLE_SECONDS=str(CYCLE_SECONDS)) as bot:
        outage = Outage(bot.stack.sim_url)
        bot.anthropic.responder = outage
        wait_until(lambda: cycle_rows.filled(bot.db), 200, "an entry to fill after the outage",
                   lambda: cycle_rows.describe(bot.db))
        wait_until(lambda: not bot.invariants.cycles_ended(), 90, "every cycle and slot to be accounted for",
                   lambda: "\n".join(bot.invariants.cycles_ended()) + "\n" + cycle_rows.describe(bot.db))
        breaks = bot.invariants.all(bot.run.lines())
        with bot.db.session() as session:
            calls = list(session.scalars(select(LlmCall).order_by(LlmCall.id)))
            safe = {s.cycle_id for s in session.scalars(select(ScreenerLog)) if s.bypass_reason == "safe_mode"}
            ordered = {o.cycle_id for o in session.scalars(select(Order))}
        alerts = [Alert.model_validate_json(f["data"]) for _, f in
                  bot.invariants.client.xrange(bot.invariants.keys.stream(SYSTEM_ALERTS))]
        cycles, filled = cycle_rows.rows(bot.db), cycle_rows.filled(bot.db)
        sent = Counter(body_hash(r.body) for r in bot.anthropic.requests)
        analyses = [c for c in calls if c.purpose == "analyze"]
        failed = [c for c in analyses if c.error is not None]
        recovery = next(c for c in analyses if c.error is None)
        since = calls[0].created_at
        spent = [cost_between(bot.db, since, c.created_at) for c in (failed[-2], recovery)]

    by_hash = {c.prompt_hash: c for c in calls}
    requests = Counter({c.id: 0 for c in cycles if c.outcome != "missed"})
    for digest, n in sent.items():
        requests[by_hash[digest].cycle_id] += n  # (a KeyError: a request the ledger does not have)
    entered = failed[2]  # the third unusable analysis in a row
    probes = [c for c in analyses if entered.id < c.id <= recovery.id]
    back = next(c for c in cycles if c.id == recovery.cycle_id)
    in_outage = [c for c in cycles if c.scheduled_for < back.scheduled_for and c.outcome != "missed"]
    print(f"{len(in_outage)} cycles held in the outage, {len(safe)} of them in safe mode; {len(probes)} probes; "
          f"requests per cycle {sorted(Counter(requests.values()).items())}; "
          f"outcomes {dict(Counter(c.outcome for c in cycles))}")

    assert breaks == []
    # every cycle of the outage held, and none placed an order
    assert {c.outcome for c in in_outage} == {"hold"} and not {c.id for c in in_outage} & ordered
    assert [c.error.split(":")[0] for c in failed] == ["overloaded"] * (len(failed) - 2) + ["malformed_json", "refusal"]
    assert all(asked_at(c.request) >= outage.first + OVERLOADED_FOR for c in failed[-2:])
    # the bound: ≤ 2 requests a call, one call per stage and cycle, 4 a cycle; in safe mode 0 but for a probe
    assert max(sent.values()) == ATTEMPTS
    assert max(Counter((c.cycle_id, c.purpose) for c in calls).values()) == 1
    assert max(requests.values()) == 2 * ATTEMPTS
    assert [cycle_id for cycle_id, n in requests.items() if n == 2 * ATTEMPTS] == [c.cycle_id for c in failed[:3]]
    assert sorted(cycle_id for cycle_id in safe if requests[cycle_id]) == sorted(c.cycle_id for c in probes)
    assert {requests[c.cycle_id] for c in probes} == {ATTEMPTS, 1}  # a 529 is tried twice, an answer once
    # safe mode: after the third failure, one probe in each ten-minute window until one answers
    assert [window(asked_at(c.request)) - window(asked_at(entered.request)) for c in probes] == \
        list(range(1, len(probes) + 1))
    assert len(safe) >= 3 * len(probes), "most safe-mode cycles call nothing"
    # one alert each way, nothing else
    assert [(a.severity, a.kind) for a in alerts] == [("WARN", "claude_safe_mode"), ("INFO", "claude_recovered")]
    assert alerts[0].data["failures"] == 3 and alerts[1].data["failures"] == len(failed)
    # the 529s cost nothing; the malformed answer and the refusal are billed, as Anthropic bills them
    assert all(c.cost_usd == 0 for c in failed[:-2])
    assert spent == [Decimal(0), Decimal("0.012500") + Decimal("0.012125")]
    # and it trades again by itself: the recovery probe's own cycle fills
    assert filled[0].id == recovery.cycle_id
