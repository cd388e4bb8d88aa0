"""Hostile input: odd or malicious arguments get sane answers and never touch the database; text from
outside (LLM reasoning, screener reasons, risk reasons, research) is shown verbatim, never as markup.
The fake Bot API rejects invalid Telegram HTML exactly like Telegram, so any escaping slip fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.integration.telegram.conftest import CHAT, telegram_settings
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.clock import ManualClock
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.events import DecisionEvent
from trading_bot.storage.db import Database
from trading_bot.storage.models import DecisionCycle, RiskRejection, ScreenerLog, Trade
from trading_bot.storage.streams import OPUS_DECISIONS, publish
from trading_bot.telegram.deps import BotDeps, build_deps

SHORT_EVIL = "<i>x</i> `y` __z__ & <a>"  # fits a 64-character column (strategy)
EVIL = "<b>not bold</b> `rm -rf` __dunder__ _x_ *y* & &amp; </blockquote></pre> <script>alert(1)</script> 🙂"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
CYCLE = "live:BTC-USDT-SWAP:20260302T1145"


def _fingerprint(deps: BotDeps) -> list[tuple]:
    """Row counts and a content hash of the tables a command could touch."""
    with deps.db.engine.connect() as conn:
        return [tuple(conn.execute(text(f"SELECT count(*), md5(coalesce(string_agg(t::text, '' ORDER BY t::text), ''))"
                                        f" FROM {table} t")).one())
                for table in ("trades", "decision_cycles", "llm_calls", "bot_state_events", "playbook_versions")]


@pytest.mark.parametrize(("command", "expected"), [
    ("/trades 99999999999", "n must be from 1 to 50 (got 99999999999). usage: /trades [n]"),
    ("/trades -1", "n must be a whole number from 1 to 50. usage: /trades [n]"),
    ("/trades '; DROP TABLE trades;--", "usage: /trades [n], the last n closed trades"),
    ("/trades 1; DELETE FROM trades", "usage: /trades [n], the last n closed trades"),
    ("/trades ５", "n must be a whole number from 1 to 50"),
    ("/why '; DROP TABLE trades;--", "usage: /why <trade id | cycle id>"),
    ("/why 1 OR 1=1", "usage: /why <trade id | cycle id>"),
    ("/why 99999999999999999999999", "trade id must be from 1 to"),
    ("/why live:x'--", "usage: /why"),
    ("/why live:BTC-USDT-SWAP:nope", "No decision cycle live:BTC-USDT-SWAP:nope."),
    ("/performance year", "usage: /performance [day|week|all]"),
    ("/performance <b>", "usage: /performance [day|week|all]"),
    ("/cost everything", "usage: /cost (no arguments)"),
])
def test_odd_arguments_get_sane_answers_and_leave_the_database_alone(seeded_bot: RunningBot,
                                                                    fake_telegram: FakeTelegram,
                                                                    seeded_deps: BotDeps, command: str,
                                                                    expected: str) -> None:
    before = _fingerprint(seeded_deps)
    reply = fake_telegram.reply_to(command, CHAT)
    assert expected in reply.plain, reply.plain
    assert _fingerprint(seeded_deps) == before


def _hostile_history(db: Database) -> int:
    decision = Decision(inst_id="BTC-USDT-SWAP", action=Action.OPEN_LONG, size_pct=Decimal(3), leverage=Decimal(2),
                        entry_price=Decimal("90000"), stop_loss=Decimal("89000"), take_profit=Decimal("92000"),
                        strategy="trend_pullback", confidence=0.7, reasoning=EVIL, invalidation=EVIL,
                        model="claude-opus-4-6", cycle_id=CYCLE)
    with db.session() as session:
        session.add(DecisionCycle(id=CYCLE, instrument="BTC-USDT-SWAP", trigger="beat", scheduled_for=NOW,
                                  started_at=NOW, finished_at=NOW + timedelta(seconds=20), stage="DONE",
                                  outcome="rejected", timeline=[{"stage": EVIL, "ms": 12, "outcome": EVIL}],
                                  screener_signal=True, decision=decision.model_dump(mode="json"),
                                  action="OPEN_LONG", verdict={"approved": False, "rule": "reward_risk",
                                                               "reason": EVIL},
                                  approved=False, error=EVIL))
        session.flush()
        session.add(ScreenerLog(cycle_id=CYCLE, instrument="BTC-USDT-SWAP", ts=NOW, model="claude-haiku",
                                signal=True, reason=EVIL, bypass_reason=None))
        session.add(RiskRejection(cycle_id=CYCLE, instrument="BTC-USDT-SWAP", ts=NOW, rule="reward_risk",
                                  reason=EVIL, numbers={}, decision={}))
        trade = Trade(instrument="BTC-USDT-SWAP", side="long", status="closed", strategy=SHORT_EVIL, regime="ranging",
                      leverage=Decimal(2), size=Decimal("0.5"), notional=Decimal("450"), entry_ts=NOW,
                      entry_px=Decimal("90000"), exit_ts=NOW + timedelta(hours=1), exit_px=Decimal("90500"),
                      close_reason="take_profit", realized_pnl=Decimal("2.5"), fees=Decimal("-0.4"),
                      funding=Decimal(0), net_pnl=Decimal("2.1"), r_multiple=Decimal("0.4"))
        session.add(trade)
        session.flush()
        return int(trade.id)


@pytest.fixture
def hostile_bot(db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> Iterator[tuple[FakeTelegram, BotDeps]]:
    with FakeTelegram() as fake:
        deps = build_deps(telegram_settings(fake, db_url, redis_url, namespace, tmp_path / "var"),
                          ManualClock(NOW + timedelta(hours=2)))
        with RunningBot(deps):
            yield fake, deps


def test_llm_and_outside_text_is_shown_verbatim(hostile_bot: tuple[FakeTelegram, BotDeps]) -> None:
    fake, deps = hostile_bot
    trade_id = _hostile_history(deps.db)
    why = fake.reply_to(f"/why {CYCLE}", CHAT)
    assert why.parse_mode == "HTML"
    assert why.plain.count(EVIL) >= 5  # reasoning, invalidation, screener reason, risk reason, error
    assert "<b>not bold</b>" in why.plain and "<script>" not in why.text
    trades = fake.reply_to("/trades", CHAT)
    assert f"#{trade_id}" in trades.plain
    perf = fake.reply_to("/performance all", CHAT)
    assert SHORT_EVIL in perf.plain  # the strategy name, shown in the by-strategy table

    mark = len(fake.sent)
    decision = Decision(inst_id="BTC-USDT-SWAP", action=Action.OPEN_SHORT, confidence=0.61, reasoning=EVIL,
                        strategy="__x__", model="claude-opus-4-6", cycle_id=CYCLE)
    publish(deps.redis, deps.keys, OPUS_DECISIONS, DecisionEvent(cycle_id=CYCLE, decision=decision, approved=False,
                                                                 rule="<i>rule</i>", ts=NOW))
    alert = fake.wait_for(lambda s: s.chat_id == CHAT and "OPEN_SHORT" in s.plain, since=mark)
    assert EVIL in alert.plain and "rejected by the risk gate (<i>rule</i>)" in alert.plain
