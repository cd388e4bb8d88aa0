"""Screening: bypass rules, Haiku answers (an unusable one passes), screener_logs, the pass-rate alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.kit.fake_anthropic import FakeReply
from tests.kit.snapshots import AT, context, position, snapshot
from trading_bot.domain.snapshot import Anomaly
from trading_bot.storage.models import ScreenerLog
from trading_bot.storage.repos import screener_logs

FOMC = datetime(2026, 1, 28, 19, 0, tzinfo=UTC)  # statement at 2 pm ET
MOVE = Anomaly(kind="price_move", severity="WARN", message="4.1 % in 1H", value=4.1, threshold=3.0)


def logs(database):  # noqa: ANN001, ANN201
    with database.session() as session:
        return list(session.scalars(select(ScreenerLog).order_by(ScreenerLog.id)))


@pytest.mark.parametrize(
    ("ctx", "reason"),
    [
        (lambda: context(positions=[position()]), "open_position"),
        (lambda: context(snapshot(at=FOMC - timedelta(minutes=30))), "calendar:FOMC"),
        (lambda: context(snapshot(anomalies=[MOVE])), "price_move"),
        (lambda: context(snapshot().model_copy(update={"price_change_1h_pct": -3.2})), "price_move"),
        (lambda: context(snapshot(funding="-0.00051")), "funding_spike"),
        (lambda: context(manual_trigger=True), "manual"),
    ],
)
def test_bypass_rules_skip_the_model(claude_settings, make_brain, fake_anthropic, database, ctx, reason):
    result = make_brain(claude_settings).screener.screen(ctx())
    assert result.signal and result.bypass_reason == reason and result.model == "bypass"
    assert fake_anthropic.requests == []
    [row] = logs(database)
    assert (row.bypass_reason, row.signal, row.llm_call_id, row.id) == (reason, True, None, result.log_id)


def test_just_outside_the_calendar_window_asks_the_model(claude_settings, make_brain, fake_anthropic):
    fake_anthropic.enqueue(FakeReply.answer({"signal": False, "reason": "quiet"}))
    result = make_brain(claude_settings).screener.screen(context(snapshot(at=FOMC - timedelta(minutes=31))))
    assert result.bypass_reason is None and result.signal is False and len(fake_anthropic.requests) == 1


def test_haiku_answer_is_logged_and_an_unusable_one_passes(claude_settings, make_brain, fake_anthropic, database):
    fake_anthropic.enqueue(FakeReply.answer({"signal": False, "reason": "mid-range, nothing new"}),
                           FakeReply.answer("signal: maybe"))
    screener = make_brain(claude_settings).screener
    quiet = screener.screen(context())
    broken = screener.screen(context())

    assert (quiet.signal, quiet.reason, quiet.parse_error) == (False, "mid-range, nothing new", False)
    assert broken.signal is True and broken.parse_error and "malformed_json" in broken.reason
    first, second = logs(database)
    assert (first.model, first.signal, second.signal, second.parse_error) == (
        "claude-haiku-4-5-20251001", False, True, True)
    assert first.llm_call_id is not None and second.llm_call_id is not None
    request = fake_anthropic.requests[0].body
    assert request["model"] == "claude-haiku-4-5-20251001" and request["max_tokens"] <= 200


def test_low_pass_rate_over_24h_warns_once(settings, make_brain, read_alerts, database):
    screener = make_brain(settings.model_copy(update={"brain_mode": "rules"})).screener
    for i in range(30):  # a quiet trending market with no pullback: the rules pass nothing
        now = AT + timedelta(minutes=15 * i)
        result = screener.screen(context(snapshot(at=now, rsi=80.0), now=now))
        assert result.signal is False and result.model == "rules-v1"
    alerts = [a for a in read_alerts() if a.kind == "screener_pass_rate"]
    assert len(alerts) == 1 and alerts[0].data == {"screens": 24, "passed": 0, "window_hours": 24}


def test_analyst_agreement_is_marked_on_the_log(settings, make_brain, database):
    screener = make_brain(settings.model_copy(update={"brain_mode": "rules"})).screener
    passed = screener.screen(context())  # trending up, pullback to EMA20, RSI 52: a setup
    assert passed.signal is True
    screener_logs.mark_analyst(database, passed.log_id, "HOLD", shadow=False)
    [row] = logs(database)
    assert (row.analyst_action, row.analyst_agreed, row.shadow_analysed) == ("HOLD", False, False)
