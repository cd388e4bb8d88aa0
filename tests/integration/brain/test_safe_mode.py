"""Safe mode through the REAL anthropic SDK against the fake Messages API, real PostgreSQL and Redis:
three unusable analyses in a row stop the Claude calls (one probe per ten-minute window), one WARN
alert when that starts and one INFO alert when Claude answers again, the ledger prices only what
was billed, and the first usable probe trades again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from tests.integration.brain.test_claude_analyst import VALID, usage
from tests.kit.fake_anthropic import FakeAnthropic, FakeReply
from tests.kit.snapshots import AT, context, snapshot
from trading_bot.brain.budget import CostLedger
from trading_bot.brain.ports import Brain
from trading_bot.domain.decision import Action, Decision
from trading_bot.storage.models import LlmCall, ScreenerLog

# claude_settings has LLM_MAX_RETRIES=1: the SDK sends a call at most twice; an unusable answer is
# not an exception, so nothing above the SDK sends it again.
OVERLOADED = FakeReply.error(529, "overloaded_error", "Overloaded")
SCREEN_USAGE, ANALYSIS_USAGE = usage(300, 10), usage(2400, 150)
SCREEN_COST = Decimal("0.000350")  # 300×$1/M + 10×$5/M
ANALYSIS_COST = Decimal("0.015750")  # 2400×$5/M + 150×$25/M


def by_model(screen: FakeReply, analysis: FakeReply) -> Callable[[dict[str, Any]], FakeReply]:
    return lambda body: screen if "haiku" in body["model"] else analysis


HEALTHY = by_model(FakeReply.answer({"signal": True, "reason": "worth a look"}, usage=SCREEN_USAGE),
                   FakeReply.answer(VALID, usage=ANALYSIS_USAGE))


def cycle(brain: Brain, clock: Any, fake: FakeAnthropic, minutes: int) -> tuple[Decision, int]:
    """The brain's part of one cycle at AT + `minutes` (screen, then analyze): the decision and the
    HTTP requests the fake API received meanwhile."""
    clock.set(AT + timedelta(minutes=minutes))
    ctx = context(snapshot(at=clock.now()), now=clock.now())
    before = len(fake.requests)
    assert brain.screener.screen(ctx).signal  # the fake screens pass, and a failed screen passes too
    return brain.analyst.analyze(ctx), len(fake.requests) - before


def kinds(read_alerts: Callable[[], list[Any]]) -> list[tuple[str, str]]:
    return [(a.severity, a.kind) for a in read_alerts()]


def test_an_overloaded_api_enters_safe_mode_once_probes_and_trades_again(
    claude_settings, make_brain, fake_anthropic, clock, database, read_alerts
):
    brain = make_brain(claude_settings)
    fake_anthropic.responder = lambda body: OVERLOADED
    seen = {}
    for minutes in (0, 5, 10, 15, 20, 25):
        seen[minutes] = cycle(brain, clock, fake_anthropic, minutes)
    fake_anthropic.responder = HEALTHY
    for minutes in (30, 35):
        seen[minutes] = cycle(brain, clock, fake_anthropic, minutes)

    # 0-10: Haiku and Opus twice each; 10:10 is the third failure: safe mode. 10:15 and 10:25 ask
    # nothing; 10:20 and 10:30 are the probes of their windows (Opus only); 10:35 is normal again.
    assert {m: n for m, (_, n) in seen.items()} == {0: 4, 5: 4, 10: 4, 15: 0, 20: 2, 25: 0, 30: 1, 35: 2}
    actions = {m: d.action for m, (d, _) in seen.items()}
    assert actions == {**{m: Action.HOLD for m in (0, 5, 10, 15, 20, 25)}, 30: Action.OPEN_LONG, 35: Action.OPEN_LONG}
    assert all("analysis unusable (overloaded)" in seen[m][0].reasoning for m in (0, 5, 10, 20))
    assert seen[15][0].reasoning == ("safe mode: 3 analyses in a row were unusable (last: overloaded); "
                                     "no Claude call before the next probe at 2026-02-03T10:20:00Z")
    assert seen[25][0].reasoning.startswith("safe mode: 4 analyses") and "10:30:00Z" in seen[25][0].reasoning

    alerts = read_alerts()
    assert kinds(read_alerts) == [("WARN", "claude_safe_mode"), ("INFO", "claude_recovered")]
    assert alerts[0].data["failures"] == 3 and alerts[0].data["last_failure"] == "overloaded"
    assert alerts[0].ts == AT + timedelta(minutes=10) and alerts[1].ts == AT + timedelta(minutes=30)
    assert alerts[1].data["failures"] == 4 and alerts[0].inst_id is None

    with database.session() as session:
        rows = list(session.scalars(select(LlmCall).order_by(LlmCall.id)))
        screens = list(session.scalars(select(ScreenerLog).order_by(ScreenerLog.id)))
    failed = [r for r in rows if r.error is not None]
    assert [r.purpose for r in failed] == ["screen", "analyze"] * 3 + ["analyze"]
    assert all(r.error.startswith("overloaded: HTTP 529") and r.cost_usd == 0 for r in failed)
    assert [s.bypass_reason for s in screens] == [None, None, None, "safe_mode", "safe_mode", "safe_mode",
                                                  "safe_mode", None]
    # the outage cost nothing: today's spend is the two analyses and the one screen after it
    assert CostLedger(database).today(clock.now()) == 2 * ANALYSIS_COST + SCREEN_COST == Decimal("0.031850")


def test_invalid_json_then_refusals_stay_in_safe_mode_and_only_billed_answers_cost(
    claude_settings, make_brain, fake_anthropic, clock, database, read_alerts
):
    brain = make_brain(claude_settings)
    fake_anthropic.responder = by_model(FakeReply.answer("signal: maybe", usage=SCREEN_USAGE),
                                        FakeReply.answer('{"action": "OPEN_LONG",,', usage=ANALYSIS_USAGE))
    for minutes in (0, 5, 10, 15, 20):
        decision, _ = cycle(brain, clock, fake_anthropic, minutes)
        assert decision.action is Action.HOLD
    fake_anthropic.responder = by_model(FakeReply(text="", stop_reason="refusal", usage=usage(2400, 5)),
                                        FakeReply(text="", stop_reason="refusal", usage=usage(2400, 5)))
    for minutes in (25, 30, 35):
        decision, _ = cycle(brain, clock, fake_anthropic, minutes)
        assert decision.action is Action.HOLD
    refused, _ = cycle(brain, clock, fake_anthropic, 40)

    assert refused.action is Action.HOLD and "analysis unusable (refusal)" in refused.reasoning
    with database.session() as session:
        rows = [(r.purpose, r.error.split(":")[0], r.cost_usd) for r in
                session.scalars(select(LlmCall).order_by(LlmCall.id))]
    # three cycles of malformed answers, the 10:20 probe; the refusal probes of 10:30 and 10:40
    malformed_screen, malformed_analysis = ("screen", "malformed_json", SCREEN_COST), \
        ("analyze", "malformed_json", ANALYSIS_COST)
    refusal = ("analyze", "refusal", Decimal("0.012125"))  # 2400×$5/M + 5×$25/M: refusals are billed
    assert rows == [malformed_screen, malformed_analysis] * 3 + [malformed_analysis, refusal, refusal]
    assert kinds(read_alerts) == [("WARN", "claude_safe_mode")]
    assert CostLedger(database).today(clock.now()) == 3 * SCREEN_COST + 4 * ANALYSIS_COST + 2 * Decimal("0.012125")


def test_workers_share_one_safe_mode_one_probe_per_window_and_one_alert_each_way(
    claude_settings, make_brain, fake_anthropic, clock, read_alerts
):
    first, second = make_brain(claude_settings), make_brain(claude_settings)  # two worker processes
    fake_anthropic.responder = lambda body: OVERLOADED
    for brain, minutes in ((first, 0), (second, 5), (first, 10)):
        cycle(brain, clock, fake_anthropic, minutes)
    assert [cycle(brain, clock, fake_anthropic, 20)[1] for brain in (second, first)] == [2, 0]
    fake_anthropic.responder = HEALTHY
    probe, normal = (cycle(brain, clock, fake_anthropic, 30) for brain in (first, second))

    assert (probe[0].action, probe[1], normal[0].action, normal[1]) == (Action.OPEN_LONG, 1, Action.OPEN_LONG, 2)
    assert kinds(read_alerts) == [("WARN", "claude_safe_mode"), ("INFO", "claude_recovered")]


def test_a_failing_screener_alone_is_not_an_outage(claude_settings, make_brain, fake_anthropic, clock, read_alerts):
    brain = make_brain(claude_settings)
    fake_anthropic.responder = by_model(OVERLOADED, FakeReply.answer(VALID, usage=ANALYSIS_USAGE))
    results = [cycle(brain, clock, fake_anthropic, minutes) for minutes in (0, 5, 10, 15)]

    # Haiku fails open (twice, then the analyst decides): Opus answers, so the bot keeps trading
    assert [(d.action, n) for d, n in results] == [(Action.OPEN_LONG, 3)] * 4
    assert read_alerts() == []


def test_a_replay_shows_every_miss_as_one(claude_settings, make_brain, fake_anthropic, clock, read_alerts):
    replay = make_brain(claude_settings.model_copy(update={"brain_mode": "replay"}), run_id="replay-1")
    decisions = [cycle(replay, clock, fake_anthropic, minutes) for minutes in (0, 5, 10, 15, 20)]

    # nothing recorded: five misses in a row, each stated as such, never hidden behind safe mode
    assert all(d.action is Action.HOLD and d.reasoning.startswith("REPLAY MISS") and n == 0 for d, n in decisions)
    assert read_alerts() == []
