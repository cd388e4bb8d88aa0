"""Who gets answers: allowed chats only (strangers get nothing at all, callbacks included); admin
commands only for admins; risk limits refused for everyone, admins included."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.integration.telegram.conftest import ADMIN, ADMIN_ONLY_PRIVATE, CHAT, GROUP, STRANGER
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.runtime_config import overrides
from trading_bot.storage.models import BotStateEvent
from trading_bot.telegram.commands import COMMANDS
from trading_bot.telegram.deps import BotDeps


def _state_events(deps: BotDeps) -> int:
    with deps.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(BotStateEvent)) or 0)


def test_strangers_get_no_answer_to_anything(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                             seeded_deps: BotDeps) -> None:
    mark = len(fake_telegram.sent)
    events = _state_events(seeded_deps)
    for command in COMMANDS:
        fake_telegram.command(f"/{command.name}", STRANGER)
    fake_telegram.command("/halt now", GROUP + 1, user_id=ADMIN)  # an admin, but in a chat that is not allowed
    fake_telegram.command("/status", ADMIN_ONLY_PRIVATE)  # an admin whose private chat is not allowed
    fake_telegram.callback("perf:all", STRANGER)
    fake_telegram.wait_consumed()
    # an allowed chat's command afterwards proves the stranger updates were processed (in order) and ignored
    fake_telegram.reply_to("/help", CHAT)
    assert [s.chat_id for s in fake_telegram.messages(since=mark)] == [CHAT]
    assert fake_telegram.callback_answers == []
    assert _state_events(seeded_deps) == events


def test_non_admins_are_refused_admin_commands(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                               seeded_deps: BotDeps) -> None:
    events = _state_events(seeded_deps)
    for text in ("/halt", "/halt market is crazy", "/stopentry", "/resume", "/reflect", "/config",
                 "/config cycle_seconds 60"):
        reply = fake_telegram.reply_to(text, CHAT)
        assert reply.plain == f"⛔ {text.split()[0]} is for admins only (TELEGRAM_ADMIN_IDS).", text
        reply = fake_telegram.reply_to(text, GROUP, user_id=CHAT)  # the same user in an allowed group
        assert "is for admins only" in reply.plain
    assert _state_events(seeded_deps) == events
    assert overrides(seeded_deps.redis, seeded_deps.keys) == {}
    assert seeded_deps.redis.llen(f"{seeded_deps.keys.namespace}:celery:reflect") == 0


def test_risk_limits_are_refused_for_everyone_with_the_reason(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                                             seeded_deps: BotDeps) -> None:
    for chat, user in ((CHAT, CHAT), (ADMIN, ADMIN), (GROUP, ADMIN)):
        for text in ("/config max_leverage 10", "/config MAX_DAILY_LOSS_PCT 50", "/config risk_max_leverage 2"):
            reply = fake_telegram.reply_to(text, chat, user_id=user)
            assert reply.plain.startswith("⛔ Refused:"), (text, reply.plain)
            assert "risk limit" in reply.plain and "trading_bot/risk/limits.py" in reply.plain
            assert "nothing can raise them" in reply.plain
    assert overrides(seeded_deps.redis, seeded_deps.keys) == {}


def test_an_admin_changes_a_whitelisted_setting_and_everyone_is_told(seeded_bot: RunningBot,
                                                                     fake_telegram: FakeTelegram,
                                                                     seeded_deps: BotDeps) -> None:
    shown = fake_telegram.reply_to("/config", ADMIN).plain
    assert "TELEGRAM_BOT_TOKEN            ***" in shown and fake_telegram.token not in shown
    assert "DATABASE_URL                  ***" in shown
    mark = len(fake_telegram.sent)
    reply = fake_telegram.reply_to("/config cycle_seconds 120", GROUP, user_id=ADMIN)
    assert reply.plain.startswith("✅ cycle_seconds: 300 → 120")
    assert overrides(seeded_deps.redis, seeded_deps.keys) == {"cycle_seconds": "120"}
    assert seeded_deps.live_settings().cycle_seconds == 120
    assert _cycle_interval(seeded_deps) == 120  # beat's entries in RedBeat's store were rewritten
    # the change is announced on system:alerts and reaches every chat as an INFO alert
    for chat in (CHAT, ADMIN, GROUP):
        alert = fake_telegram.wait_for(lambda s, c=chat: s.chat_id == c and "config_changed" in s.plain, since=mark)
        assert "cycle_seconds: 300 → 120 (by telegram:100200300)" in alert.plain and alert.disable_notification
    assert "CYCLE_SECONDS                 120 *" in fake_telegram.reply_to("/config", ADMIN).plain
    assert "(runtime override)" in fake_telegram.reply_to("/config cycle_seconds", ADMIN).plain
    refused = fake_telegram.reply_to("/config cycle_seconds soon", ADMIN).plain
    assert refused.startswith("⛔ Refused: CYCLE_SECONDS: Input should be a valid integer")
    assert fake_telegram.reply_to("/config cycle_seconds reset", ADMIN).plain.startswith("✅ cycle_seconds: 120 → 300")
    assert _cycle_interval(seeded_deps) == 300
    assert overrides(seeded_deps.redis, seeded_deps.keys) == {}


def _cycle_interval(deps: BotDeps) -> int:
    """The interval of the first instrument's cycle entry as the running beat would read it."""
    from celery import Celery
    from redbeat import RedBeatSchedulerEntry

    from celeryconfig import build_config

    app = Celery("test-reader")
    app.conf.update(build_config(deps.settings))
    key = f"{app.conf.redbeat_key_prefix}cycle-{deps.settings.instruments[0]}"
    entry = RedBeatSchedulerEntry.from_key(key, app=app)
    return int(getattr(entry.schedule, "interval", 0) or entry.schedule.run_every.total_seconds())
