"""Account tripwires: drawdown (EMERGENCY HALT), daily loss (HALT until 00:00 UTC), losing streak
(COOLDOWN). Reaching a loss limit trips it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.kit import risk as kit
from trading_bot.domain.decision import Decision
from trading_bot.risk.limits import HARD_LIMITS
from trading_bot.risk.status import BotState
from trading_bot.risk.verdict import Rule

D = Decimal


@pytest.mark.parametrize("equity, tripped", [("9000.01", False), ("9000", True), ("8000", True), ("0", True),
                                             ("-100", True)])
def test_drawdown_of_ten_percent_from_peak_is_an_emergency_halt(gate, equity, tripped):
    status = kit.status(peak_equity=D(10000), day_start_equity=D(8000))  # no daily loss in play
    verdict = gate(status=status, account=kit.account(equity=equity, available="0"))
    if not tripped:
        assert verdict.escalation is None
        return
    assert not verdict.approved
    assert verdict.escalation.to_state is BotState.EMERGENCY_HALTED and verdict.escalation.until is None
    assert verdict.escalation.rule is Rule.DRAWDOWN
    if equity == "9000":
        assert verdict.rule is Rule.DRAWDOWN and verdict.numbers["drawdown_pct"] == D(10)


def test_the_peak_is_never_below_the_current_equity(gate):
    verdict = gate(status=kit.status(peak_equity=None, day_start_equity=D(5000)), account=kit.account(equity="12000"))
    assert verdict.approved and verdict.numbers["drawdown_pct"] == 0


@pytest.mark.parametrize("equity, tripped", [("9700.01", False), ("9700", True)])
def test_daily_loss_of_three_percent_halts_until_the_next_utc_midnight(gate, equity, tripped):
    verdict = gate(account=kit.account(equity=equity))
    if not tripped:
        assert verdict.approved and verdict.escalation is None
        assert verdict.numbers["daily_loss_pct"] == D("2.9999")
        return
    escalation = verdict.escalation
    assert verdict.rule is Rule.DAILY_LOSS and not verdict.approved
    assert escalation.to_state is BotState.HALTED
    assert escalation.until == datetime(2026, 1, 8, tzinfo=UTC)
    assert escalation.numbers["daily_loss_pct"] == D(3)


def test_the_daily_loss_counts_realised_and_unrealised_through_equity(gate):
    # equity already reflects unrealised PnL: 9,650 means 3.5 % down on the day whatever the mix
    account = kit.account(equity="9650").model_copy(update={"upl": D("-350")})
    assert gate(account=account).rule is Rule.DAILY_LOSS


def test_the_daily_loss_of_another_day_is_not_measured(gate):
    status = kit.status(day_start=kit.status().day_start - timedelta(days=1))
    verdict = gate(Decision.hold(kit.BTC, "x"), status=status, account=kit.account(equity="9000.5"))
    assert verdict.escalation is None


@pytest.mark.parametrize("losses, tripped", [(2, False), (3, True), (5, True)])
def test_three_losing_trades_in_a_row_start_a_thirty_minute_cooldown(gate, losses, tripped):
    status = kit.status(consecutive_losses=losses, last_loss_at=kit.NOW - timedelta(minutes=1))
    verdict = gate(status=status)
    if not tripped:
        assert verdict.approved and verdict.escalation is None
        return
    assert verdict.rule is Rule.CONSECUTIVE_LOSSES
    assert verdict.escalation.to_state is BotState.COOLDOWN
    assert verdict.escalation.until == kit.NOW + timedelta(minutes=30)


def test_a_pause_after_the_last_loss_serves_the_streak_and_a_new_loss_cools_down_again(gate):
    loss_at = kit.NOW - timedelta(hours=1)
    served = kit.status(consecutive_losses=3, last_loss_at=loss_at, paused_at=loss_at + timedelta(seconds=1))
    assert gate(status=served).approved
    again = kit.status(consecutive_losses=4, last_loss_at=loss_at + timedelta(minutes=40), paused_at=loss_at)
    assert gate(status=again).escalation.to_state is BotState.COOLDOWN


@pytest.mark.parametrize("current, equity, losses, expected", [
    (BotState.COOLDOWN, "9650", 0, BotState.HALTED),  # a halt overrides a cooldown
    (BotState.HALTED, "9650", 3, None),  # a cooldown never softens a halt
    (BotState.HALTED, "8900", 0, BotState.EMERGENCY_HALTED),
    (BotState.EMERGENCY_HALTED, "8900", 3, None),  # already there
])
def test_escalations_only_ever_make_the_state_more_severe(gate, current, equity, losses, expected):
    status = kit.status(state=current, until=None, consecutive_losses=losses, last_loss_at=kit.NOW)
    verdict = gate(Decision.hold(kit.BTC, "x"), status=status, account=kit.account(equity=equity))
    assert (verdict.escalation.to_state if verdict.escalation else None) is expected


def test_the_most_severe_tripwire_wins(gate):
    status = kit.status(consecutive_losses=3, last_loss_at=kit.NOW)
    verdict = gate(status=status, account=kit.account(equity="8000"))  # -20 %: daily, drawdown and streak
    assert verdict.escalation.to_state is BotState.EMERGENCY_HALTED and verdict.rule is Rule.DRAWDOWN


def test_stricter_limits_trip_earlier(gate):
    stricter = HARD_LIMITS.stricter(max_daily_loss_pct=D(2), max_consecutive_losses=2)
    assert gate(account=kit.account(equity="9800"), limits=stricter).rule is Rule.DAILY_LOSS
    status = kit.status(consecutive_losses=2, last_loss_at=kit.NOW)
    assert gate(status=status, limits=stricter).rule is Rule.CONSECUTIVE_LOSSES
