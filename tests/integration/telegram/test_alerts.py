"""Alerts from the Redis streams to Telegram through the real bot: once per event and chat, the
60 s cooldown, silent hours, severity routing, Telegram failures, and restarts that neither lose
nor repeat anything."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.telegram.conftest import ADMIN, ADMIN_ONLY_PRIVATE, CHAT, GROUP, telegram_settings
from tests.kit import services
from tests.kit.fake_telegram import FakeTelegram, Sent
from tests.kit.telegram_bot import RunningBot
from trading_bot.clock import ManualClock
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.events import Alert, DecisionEvent, FillEvent, PositionClosed, PositionEvent
from trading_bot.domain.orders import Fill
from trading_bot.storage.db import dispose_engines
from trading_bot.storage.streams import (
    MARKET_ALERTS,
    OPUS_DECISIONS,
    SYSTEM_ALERTS,
    TRADE_FILLS,
    TRADE_POSITIONS,
    publish,
    read_group,
)
from trading_bot.telegram.alerts.dispatcher import CONSUMER
from trading_bot.telegram.alerts.dispatcher import GROUP as CONSUMER_GROUP
from trading_bot.telegram.alerts.notices import STREAMS
from trading_bot.telegram.deps import BotDeps, build_deps

NOON = datetime(2026, 2, 5, 12, 0, tzinfo=UTC)
CHATS = (CHAT, ADMIN, GROUP)
INST = "BTC-USDT-SWAP"


@pytest.fixture(scope="module")
def alerts_db_url(pg_admin_url: str, migrated_template: str) -> Iterator[str]:
    """The alert path does not query the journal; one migrated database serves the module."""
    name = services.create_database(pg_admin_url, prefix="tb_tgalerts", template=migrated_template)
    yield services.database_url(pg_admin_url, name)
    dispose_engines()
    services.drop_database(pg_admin_url, name)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake_api:
        yield fake_api


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOON)


@pytest.fixture
def make_deps(fake: FakeTelegram, alerts_db_url: str, redis_url: str, namespace: str, tmp_path: Path,
              clock: ManualClock) -> Callable[..., BotDeps]:
    def make(**extra: Any) -> BotDeps:
        return build_deps(telegram_settings(fake, alerts_db_url, redis_url, namespace, tmp_path / "var", **extra),
                          clock)

    return make


def alert(kind: str, severity: str = "INFO", inst: str | None = INST, message: str = "something happened") -> Alert:
    return Alert(severity=severity, kind=kind, message=message, inst_id=inst, ts=NOON)  # type: ignore[arg-type]


def count(fake: FakeTelegram, chat: int, needle: str) -> int:
    return sum(1 for s in fake.messages(chat) if needle in s.plain)


def settle(fake: FakeTelegram, deps: BotDeps, marker: str = "marker") -> None:
    """Publish a marker alert and wait until every chat has it: everything published before is handled."""
    publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert(marker, inst=None))
    for chat in CHATS:
        fake.wait_for(lambda s, c=chat: s.chat_id == c and marker in s.plain)


def pending(deps: BotDeps) -> int:
    return sum(int(deps.redis.xpending(deps.keys.stream(s), CONSUMER_GROUP)["pending"]) for s in STREAMS)


def all_acknowledged(deps: BotDeps, timeout: float = 10.0) -> bool:
    """The last message may reach Telegram an instant before its entry is acknowledged."""
    deadline = time.monotonic() + timeout
    while pending(deps) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pending(deps) == 0


def test_each_event_reaches_every_chat_once(fake: FakeTelegram, make_deps: Callable[..., BotDeps]) -> None:
    deps = make_deps()
    fill = Fill(trade_id="t1", ord_id="o77", cl_ord_id="tb1", inst_id=INST, side="buy", pos_side="long",
                price=Decimal("87000.1"), size=Decimal("0.35"), fee=Decimal("-0.0152"), pnl=Decimal(0), ts=NOON)
    closed = PositionClosed(inst_id=INST, side="long", size=Decimal("0.35"), entry_px=Decimal("87000.1"),
                            exit_px=Decimal("86500"), realized_pnl=Decimal("-1.75"), fees=Decimal("-0.03"),
                            funding=Decimal("-0.01"), opened_at=NOON, closed_at=NOON + timedelta(hours=1),
                            close_reason="stop_loss")
    entry = Decision(inst_id=INST, action=Action.OPEN_LONG, confidence=0.72, strategy="trend_pullback",
                     reasoning="pullback to the EMA20", model="claude-opus-4-6", cycle_id="c1")
    with RunningBot(deps):
        publish(deps.redis, deps.keys, MARKET_ALERTS, alert("price_move", "WARN", message="BTC -3.2 % in 1h"))
        publish(deps.redis, deps.keys, TRADE_FILLS, FillEvent(fill=fill, cycle_id="c1"))
        publish(deps.redis, deps.keys, TRADE_POSITIONS, PositionEvent(inst_id=INST, side=None, position=None, ts=NOON))
        publish(deps.redis, deps.keys, TRADE_POSITIONS, closed)
        publish(deps.redis, deps.keys, OPUS_DECISIONS, DecisionEvent(cycle_id="c1", decision=entry, approved=True,
                                                                     ts=NOON))
        publish(deps.redis, deps.keys, OPUS_DECISIONS, DecisionEvent(
            cycle_id="c2", decision=Decision.hold(INST, "nothing to do", cycle_id="c2"), ts=NOON))
        settle(fake, deps)
        assert all_acknowledged(deps)
    for chat in CHATS:
        sent = {s.plain.split("\n")[0]: s for s in fake.messages(chat)}
        assert len(fake.messages(chat)) == 5, list(sent)  # price move, fill, close, entry decision, marker
        texts = "\n---\n".join(s.plain for s in fake.messages(chat))
        assert "⚠️ WARN price_move · BTC-USDT-SWAP\nBTC -3.2 % in 1h" in texts
        assert "✅ Filled buy 0.35 contracts BTC-USDT-SWAP @ 87,000.1\nfee -0.0152 USDT · order o77" in texts
        assert "🔴 Closed long 0.35 contracts BTC-USDT-SWAP by stop_loss\n87,000.1 → 86,500 · net -1.79 USDT " \
               "(price -1.75 USDT, fees -0.03 USDT, funding -0.01 USDT)" in texts
        assert "🧠 OPEN_LONG BTC-USDT-SWAP · confidence 0.72 · trend_pullback\napproved by the risk gate\n" \
               "pullback to the EMA20\n/why c1" in texts
        assert "HOLD" not in texts
        silent = {line: s.disable_notification for line, s in sent.items()}
        assert [line for line, quiet in silent.items() if not quiet] == ["⚠️ WARN price_move · BTC-USDT-SWAP"]
    assert ADMIN_ONLY_PRIVATE not in {s.chat_id for s in fake.sent}  # not CRITICAL: admins get no extra copy


def test_cooldown_suppresses_repeats_for_a_minute_but_not_escalations(fake: FakeTelegram, clock: ManualClock,
                                                                     make_deps: Callable[..., BotDeps]) -> None:
    deps = make_deps()
    with RunningBot(deps):
        for _ in range(3):
            publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("ws_disconnected", "WARN"))
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("ws_disconnected", "WARN", inst="ETH-USDT-SWAP"))
        settle(fake, deps, "first")
        assert count(fake, CHAT, "ws_disconnected · BTC") == 1
        assert count(fake, CHAT, "ws_disconnected · ETH") == 1  # another instrument has its own cooldown
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("ws_disconnected", "CRITICAL", message="down for 5 min"))
        settle(fake, deps, "second")
        assert count(fake, CHAT, "CRITICAL ws_disconnected · BTC") == 1  # an escalation is never held back
        clock.advance(timedelta(seconds=61))
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("ws_disconnected", "CRITICAL", message="still down"))
        settle(fake, deps, "third")
    again = [s.plain for s in fake.messages(CHAT) if "still down" in s.plain]
    assert len(again) == 1
    assert count(fake, CHAT, "ws_disconnected · BTC") == 3
    first_critical = next(s.plain for s in fake.messages(CHAT) if "down for 5 min" in s.plain)
    assert "(+2 similar in the last minute, not sent)" in first_critical  # the two suppressed WARN repeats


def test_silent_hours_hold_info_and_warn_but_not_critical(fake: FakeTelegram, clock: ManualClock,
                                                          make_deps: Callable[..., BotDeps]) -> None:
    deps = make_deps(silent_hours_utc="11-13")
    with RunningBot(deps):
        publish(deps.redis, deps.keys, MARKET_ALERTS, alert("funding_spike", "INFO", message="funding 0.09 %"))
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("budget_80", "WARN", inst=None, message="80 % spent"))
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("bot_halted", "CRITICAL", inst=None, message="halted"))
        for chat in (*CHATS, ADMIN_ONLY_PRIVATE):  # CRITICAL: every chat and, in private, every admin
            critical = fake.wait_for(lambda s, c=chat: s.chat_id == c and "bot_halted" in s.plain)
            assert not critical.disable_notification
        time.sleep(0.5)  # several more polling rounds: the held ones must stay held
        assert not any("funding_spike" in s.plain or "budget_80" in s.plain for s in fake.sent)
        assert deps.redis.llen(deps.keys.custom("telegram", "held")) == 2
        assert all_acknowledged(deps)  # held alerts are acknowledged: kept in the held list, not in the stream

        clock.set(NOON + timedelta(hours=1))  # 13:00 UTC: silent hours are over
        digests = [fake.wait_for(lambda s, c=chat: s.chat_id == c and "Held during silent hours" in s.plain)
                   for chat in CHATS]
    for digest in digests:
        assert digest.plain.startswith("🌙 Held during silent hours (11:00–13:00 UTC): 1 WARN, 1 INFO")
        assert "funding 0.09 %" in digest.plain and "80 % spent" in digest.plain
        assert not digest.disable_notification  # it holds a WARN
    assert deps.redis.llen(deps.keys.custom("telegram", "held")) == 0
    assert ADMIN_ONLY_PRIVATE not in {s.chat_id for s in fake.sent if "Held" in s.plain}


def test_a_restart_neither_loses_nor_repeats(fake: FakeTelegram, make_deps: Callable[..., BotDeps]) -> None:
    deps = make_deps()
    with RunningBot(deps):
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("before_restart"))
        settle(fake, deps, "first")
    publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("while_down"))
    publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("read_then_crashed"))
    # the bot read the newest entry and died before acknowledging it: it is pending for its consumer
    taken = list(read_group(deps.redis, deps.keys, STREAMS, CONSUMER_GROUP, CONSUMER, count=1, block_ms=None))
    assert [e.payload["kind"] for e in taken] == ["while_down"]
    with RunningBot(make_deps()):
        settle(fake, deps, "second")
    for chat in CHATS:
        kinds = [kind for s in fake.messages(chat) for kind in ("before_restart", "while_down", "read_then_crashed",
                                                                 "first", "second") if kind in s.plain]
        assert kinds == ["before_restart", "first", "while_down", "read_then_crashed", "second"]
    assert all_acknowledged(deps)


def test_telegram_failures_are_retried_without_duplicates(fake: FakeTelegram,
                                                          make_deps: Callable[..., BotDeps]) -> None:
    deps = make_deps()
    fake.forbidden_chats.add(GROUP)  # a chat that blocked the bot: logged, never retried forever
    with RunningBot(deps):
        fake.fail_next("sendMessage", 500, "Internal Server Error", times=2)
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("flaky_network"))
        for chat in (CHAT, ADMIN):
            fake.wait_for(lambda s, c=chat: s.chat_id == c and "flaky_network" in s.plain, timeout=20)
        assert all_acknowledged(deps)  # the blocked chat was tried too: the next failure hits CHAT first
        started = time.monotonic()
        fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("flood"))
        first: Sent = fake.wait_for(lambda s: s.chat_id == CHAT and "flood" in s.plain)
        fake.wait_for(lambda s: s.chat_id == ADMIN and "flood" in s.plain)
        publish(deps.redis, deps.keys, SYSTEM_ALERTS, alert("after", inst=None))
        fake.wait_for(lambda s: s.chat_id == ADMIN and "after" in s.plain)
        assert all_acknowledged(deps)
    assert first.at - started >= 1.0  # the RetryAfter was honoured
    for chat in (CHAT, ADMIN):
        assert count(fake, chat, "flaky_network") == 1 and count(fake, chat, "flood") == 1
    assert fake.messages(GROUP) == []
    sends_to_group = [p for m, p in fake.calls if m == "sendMessage" and p["chat_id"] == str(GROUP)]
    assert len(sends_to_group) == 3  # one attempt per alert, no retry loop against a blocked chat
