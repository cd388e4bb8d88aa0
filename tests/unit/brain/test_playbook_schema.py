"""The playbook schema: version 1 is valid, and no version can carry or change a risk limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from trading_bot.brain.playbook import default_playbook
from trading_bot.domain.playbook import Lesson, Playbook


def test_default_playbook_is_valid_and_complete():
    playbook = default_playbook()
    assert playbook.version == 1 and playbook.lessons == []
    assert [s.name for s in playbook.strategies_for("trending_up")] == ["trend_pullback"]
    assert [s.name for s in playbook.strategies_for("ranging")] == ["range_reversion"]
    assert playbook.strategies_for("volatile") == []
    assert all(s.reward_risk >= 2 for s in playbook.strategies)
    assert playbook.calibration.size_fraction(0.5) == 0 and playbook.calibration.size_fraction(0.9) == 1.0


@pytest.mark.parametrize("field", ["max_leverage", "risk_per_trade_pct", "daily_loss_limit"])
def test_a_risk_limit_field_is_rejected(field):
    content = default_playbook().model_dump(mode="json")
    content[field] = 10
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Playbook.model_validate(content)


@pytest.mark.parametrize("text", [
    "Use 10x leverage on strong trends", "raise leverage to 5 when confident", "risk 8% per trade",
    "trade without the stop in ranges", "the daily loss limit should be 6%", "ignore the risk limit",
])
def test_lesson_text_restating_a_limit_is_rejected(text):
    with pytest.raises(ValidationError, match="may not state or change a risk limit"):
        Lesson(text=text, source="reflection:1", created_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_ordinary_lessons_pass():
    lesson = Lesson(text="Pullbacks with RSI above 60 in trending_up failed 3 of 4 times: wait for RSI < 55",
                    source="reflection:2", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert lesson.text.startswith("Pullbacks")


def test_regime_rules_must_name_existing_strategies():
    content = default_playbook().model_dump(mode="json")
    content["regimes"]["ranging"]["strategies"] = ["martingale"]
    with pytest.raises(ValidationError, match="unknown strategies: martingale"):
        Playbook.model_validate(content)
    del content["regimes"]["volatile"]
    with pytest.raises(ValidationError, match="regime rules missing for: volatile"):
        Playbook.model_validate(content)
