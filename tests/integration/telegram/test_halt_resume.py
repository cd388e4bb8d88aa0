"""/halt and /resume through the risk gate's bot state service: the state changes at once, is
recorded with who did it, reaches everyone as an alert, and /status shows it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.integration.telegram.conftest import ADMIN, ADMIN_ONLY_PRIVATE, CHAT, GROUP, telegram_settings
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.clock import ManualClock
from trading_bot.risk.state import BotStateService
from trading_bot.risk.status import BotState
from trading_bot.storage.models import BotStateEvent
from trading_bot.telegram.deps import BotDeps, build_deps

NOW = datetime(2026, 2, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def state_bot(fake_telegram: FakeTelegram, db_url: str, redis_url: str, namespace: str,
              tmp_path: Path) -> Iterator[BotDeps]:
    deps = build_deps(telegram_settings(fake_telegram, db_url, redis_url, namespace, tmp_path / "var"),
                      ManualClock(NOW))
    with RunningBot(deps):
        yield deps


def _events(deps: BotDeps) -> list[tuple[str | None, str, str, str]]:
    with deps.db.session() as session:
        rows = session.scalars(select(BotStateEvent).order_by(BotStateEvent.id))
        return [(r.from_state, r.to_state, r.actor, r.reason) for r in rows]


def test_an_admin_halts_and_resumes_and_everyone_hears_of_it(state_bot: BotDeps, fake_telegram: FakeTelegram) -> None:
    deps = state_bot
    service = BotStateService(deps.db, deps.redis, deps.keys, ManualClock(NOW))  # as the pipeline reads it
    assert "🟢 RUNNING · no state change recorded yet" in fake_telegram.reply_to("/status", CHAT).plain

    mark = len(fake_telegram.sent)
    reply = fake_telegram.reply_to("/halt exchange maintenance at 10:00", GROUP, user_id=ADMIN, expect="No new entries")
    assert reply.plain.startswith("🔴 HALTED · since 2026-02-05 09:30 UTC · telegram:100200300: "
                                  "exchange maintenance at 10:00")
    assert "No new entries from the next cycle on" in reply.plain
    assert service.current().state is BotState.HALTED  # in force for the very next cycle
    assert _events(deps) == [("RUNNING", "HALTED", "telegram:100200300", "exchange maintenance at 10:00")]
    for chat in (CHAT, ADMIN, GROUP, ADMIN_ONLY_PRIVATE):  # the CRITICAL state alert reaches chats and admins
        alert = fake_telegram.wait_for(lambda s, c=chat: s.chat_id == c and "bot_halted" in s.plain, since=mark)
        assert "bot RUNNING → HALTED: exchange maintenance at 10:00 (telegram:100200300)" in alert.plain
    assert "🔴 HALTED" in fake_telegram.reply_to("/status", CHAT, expect="OKX Opus bot").plain
    assert fake_telegram.reply_to("/halt again", ADMIN, expect="halted").plain.startswith("Not halted: the bot is already HALTED")

    reply = fake_telegram.reply_to("/resume", ADMIN, expect="Entries are allowed")
    assert reply.plain.startswith("🟢 RUNNING · since 2026-02-05 09:30 UTC · telegram:100200300: resumed from Telegram")
    assert service.current().state is BotState.RUNNING
    assert _events(deps)[-1] == ("HALTED", "RUNNING", "telegram:100200300", "resumed from Telegram")
    fake_telegram.wait_for(lambda s: s.chat_id == ADMIN and "bot_running" in s.plain, since=mark)  # INFO alert
    assert fake_telegram.reply_to("/resume", ADMIN).plain == "Not resumed: the bot is already RUNNING."


def test_resume_from_an_emergency_halt_is_recorded_with_the_admin(state_bot: BotDeps,
                                                                  fake_telegram: FakeTelegram) -> None:
    deps = state_bot
    deps.state.halt("risk_gate", "drawdown 10.4 % from the peak", emergency=True)
    assert "🚨 EMERGENCY_HALTED" in fake_telegram.reply_to("/status", CHAT, expect="OKX Opus bot").plain
    assert "is for admins only" in fake_telegram.reply_to("/resume", CHAT, expect="⛔").plain
    assert deps.state.current().state is BotState.EMERGENCY_HALTED
    reply = fake_telegram.reply_to("/resume checked the exchange, all flat", ADMIN, expect="Entries are allowed")
    assert reply.plain.startswith("🟢 RUNNING") and "checked the exchange, all flat" in reply.plain
    assert _events(deps)[-1] == ("EMERGENCY_HALTED", "RUNNING", "telegram:100200300",
                                 "checked the exchange, all flat")


def test_stopentry_is_the_halt_for_admins_and_count_says_entries_are_off(state_bot: BotDeps,
                                                                         fake_telegram: FakeTelegram) -> None:
    deps = state_bot
    assert fake_telegram.reply_to("/stopentry", CHAT).plain == "⛔ /stopentry is for admins only (TELEGRAM_ADMIN_IDS)."
    assert deps.state.current().state is BotState.RUNNING and _events(deps) == []

    reply = fake_telegram.reply_to("/stopentry CPI at 13:30", ADMIN, expect="No new entries")
    assert reply.plain == ("🔴 HALTED · since 2026-02-05 09:30 UTC · telegram:100200300: CPI at 13:30\n"
                           "No new entries from the next cycle on; open positions keep their exchange-side "
                           "stop-loss and take-profit. /resume to trade again.")
    assert _events(deps) == [("RUNNING", "HALTED", "telegram:100200300", "CPI at 13:30")]
    assert BotStateService(deps.db, deps.redis, deps.keys, ManualClock(NOW)).current().state is BotState.HALTED
    assert fake_telegram.reply_to("/count", CHAT, expect="Open positions").plain == "\n".join([  # alerts may come first
        "Open positions 0 of 3 · 3 free",
        "No new entries now: 🔴 HALTED · since 2026-02-05 09:30 UTC · telegram:100200300: CPI at 13:30",
        "Source: the trade journal; ws-private has not reported positions; mark = n/a."])
    assert fake_telegram.reply_to("/stopentry", ADMIN, expect="halted").plain == \
        "Not halted: the bot is already HALTED (since 2026-02-05 09:30:00 UTC)."
    fake_telegram.reply_to("/resume", ADMIN, expect="Entries are allowed")
    after = fake_telegram.reply_to("/count", CHAT, expect="Open positions").plain
    assert after.splitlines()[0] == "Open positions 0 of 3 · 3 free" and "No new entries" not in after
