"""Each command from an allowed chat, answered by the real bot from the seeded PostgreSQL history
(the expected figures come from the seed's own records, not from the database)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from tests.conftest import SeededDatabase
from tests.integration.telegram.conftest import ADMIN, CHAT
from tests.kit.fake_telegram import FakeTelegram
from tests.kit.telegram_bot import RunningBot
from trading_bot.backtest.metrics import compute_metrics, trade_stats
from trading_bot.domain.market import MarkPrice, Ticker
from trading_bot.domain.orders import Account, Position
from trading_bot.domain.playbook import Playbook
from trading_bot.storage.market_state import put_latest
from trading_bot.storage.models import LlmCall, RiskRejection
from trading_bot.storage.repos.playbooks import all_versions
from trading_bot.storage.repos.trades import open_trades
from trading_bot.telegram.commands import COMMANDS
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import pct, price, ratio, usd, usdt
from trading_bot.telegram.views.positions import OPEN_POSITIONS


def test_status_summarises_account_cost_positions_and_the_last_cycle(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                                    fake_telegram: FakeTelegram,
                                                                    shared_seeded: SeededDatabase) -> None:
    live = shared_seeded.seed.live
    now = seeded_deps.now()
    baseline = [p for p in live.equity if p.ts <= now.replace(hour=0, minute=0)][-1]
    latest = [p for p in live.equity if p.ts <= now][-1]
    text = fake_telegram.reply_to("/status", CHAT).plain
    assert text.startswith("OKX Opus bot 🟢 RUNNING · since ")  # the seeded history's last state event
    assert f"equity      {usdt(latest.equity)} (snapshot" in text
    assert f"PnL today   {usdt(latest.equity - baseline.equity, signed=True)}" in text
    assert f"LLM today   {usd(live.llm_cost_by_day[now.date()])} of $10.00 budget" in text
    assert f"positions   {live.open_trades} open" in text
    with seeded_deps.db.session() as session:
        from trading_bot.storage.models import DecisionCycle

        cycle = session.scalars(select(DecisionCycle).where(DecisionCycle.run_id == "live")
                                .order_by(DecisionCycle.started_at.desc()).limit(1)).one()
    assert f"last cycle  {cycle.started_at:%Y-%m-%d %H:%M} UTC" in text
    action = f" · {cycle.action}" if cycle.action else ""
    assert f"outcome     {cycle.outcome}{action}" in text and f"· {cycle.instrument}\n" in text
    assert "venue       local simulator" in text and "brain       rules" in text

    account = Account(equity=latest.equity + Decimal("25.5"), available=Decimal(9000), frozen=Decimal(100),
                      upl=Decimal("3.2"), ts=now - timedelta(seconds=12))
    put_latest(seeded_deps.redis, seeded_deps.keys.account(), account)
    try:
        text = fake_telegram.reply_to("/status", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.account())
    assert f"equity      {usdt(account.equity)} (live, 12s ago)" in text
    assert f"PnL today   {usdt(account.equity - baseline.equity, signed=True)}" in text


def test_trades_lists_the_latest_closed_trades(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                               shared_seeded: SeededDatabase) -> None:
    closed = sorted(shared_seeded.seed.live.closed_trades, key=lambda t: (t.exit_ts, t.trade_id), reverse=True)
    reply = fake_telegram.reply_to("/trades", CHAT)
    shown = [int(line.split()[0][1:]) for line in reply.plain.splitlines() if line.startswith("#")]
    assert shown == [t.trade_id for t in closed[:10]]
    net = sum((t.net_pnl for t in closed[:10]), Decimal(0))
    assert f"net {usdt(net, signed=True)}" in reply.plain

    reply = fake_telegram.reply_to("/trades 3", CHAT)
    assert [line.split()[0] for line in reply.plain.splitlines() if line.startswith("#")] == \
        [f"#{t.trade_id}" for t in closed[:3]]
    assert "Last 3 closed trades" in reply.plain


def test_positions_join_ws_private_state_with_the_journal_levels(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                                 fake_telegram: FakeTelegram) -> None:
    (trade,) = open_trades(seeded_deps.db)
    mark = (trade.entry_px * Decimal("0.99")).quantize(Decimal("0.1"))
    upl = Decimal("8.50")
    side: Any = trade.side
    position = Position(inst_id=trade.instrument, side=side, pos_side=side, mgn_mode="isolated",
                        size=trade.size, avg_px=trade.entry_px, mark_px=mark, upl=upl, realized_pnl=Decimal(0),
                        fee=Decimal("-0.01"), funding_fee=Decimal(0), margin=None, imr=None, liq_px=None,
                        leverage=trade.leverage, created_at=trade.entry_ts, updated_at=seeded_deps.now())
    seeded_deps.redis.set(seeded_deps.keys.positions(), OPEN_POSITIONS.dump_json([position]))

    reply = fake_telegram.reply_to("/positions", CHAT)
    text = reply.plain
    assert f"{trade.instrument} {trade.side.upper()}" in text and f"(trade #{trade.id})" in text
    assert f"uPnL    {usdt(upl, signed=True)} ({pct(upl / trade.notional, 2, signed=True)})" in text
    assert trade.stop_loss is not None and trade.take_profit is not None
    assert f"({pct((trade.stop_loss - mark) / mark, 2, signed=True)} from mark)" in text
    assert f"({pct((trade.take_profit - mark) / mark, 2, signed=True)} from mark)" in text
    assert "Source: exchange positions (ws-private)" in text

    seeded_deps.redis.delete(seeded_deps.keys.positions())
    put_latest(seeded_deps.redis, seeded_deps.keys.ticker(trade.instrument),
               Ticker(inst_id=trade.instrument, last=mark, bid=None, ask=None, ts=seeded_deps.now()))
    text = fake_telegram.reply_to("/positions", CHAT).plain
    direction = 1 if trade.side == "long" else -1
    expected = direction * (mark - trade.entry_px) / trade.entry_px * trade.notional
    assert f"uPnL    {usdt(expected, signed=True)}" in text
    assert "Source: the trade journal; ws-private has not reported positions; mark = last traded price" in text

    marked = mark + Decimal(100)
    put_latest(seeded_deps.redis, seeded_deps.keys.mark_price(trade.instrument),
               MarkPrice(inst_id=trade.instrument, mark_px=marked, ts=seeded_deps.now()))
    try:
        text = fake_telegram.reply_to("/positions", CHAT).plain
    finally:
        seeded_deps.redis.delete(seeded_deps.keys.mark_price(trade.instrument), seeded_deps.keys.ticker(trade.instrument))
    expected = direction * (marked - trade.entry_px) / trade.entry_px * trade.notional
    assert f"mark    {price(marked)}" in text and f"uPnL    {usdt(expected, signed=True)}" in text
    assert "mark = mark price" in text


def test_performance_matches_the_seeds_own_trades_and_equity(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                            fake_telegram: FakeTelegram,
                                                            shared_seeded: SeededDatabase) -> None:
    live = shared_seeded.seed.live
    now = seeded_deps.now()
    start = now - timedelta(days=7)
    trades = [t for t in live.closed_trades if start <= t.exit_ts < now]
    equity = [p for p in live.equity if start <= p.ts <= now]
    expected = compute_metrics(trades, equity, sample=timedelta(hours=1), start=start, end=now)
    reply = fake_telegram.reply_to("/performance week", CHAT)
    text = reply.plain
    stats = expected.trades
    assert f"trades         {stats.trades} ({stats.wins} won, {stats.losses} lost)" in text
    assert f"win rate       {pct(stats.win_rate)}" in text
    assert f"profit factor  {ratio(stats.profit_factor)}" in text
    assert expected.equity is not None
    assert f"Sharpe         {ratio(expected.equity.sharpe)} (hourly returns" in text
    assert f"max drawdown   {pct(expected.equity.max_drawdown.pct, 2)}" in text
    for name, group in expected.by_strategy.items():
        assert any(line.split()[:2] == [name, str(group.trades)] for line in text.splitlines())
    for name, group in expected.by_regime.items():
        assert any(line.split()[:2] == [name, str(group.trades)] for line in text.splitlines())
    assert ("all time", "perf:all") in reply.buttons

    mark = len(fake_telegram.sent)
    fake_telegram.callback("perf:all", CHAT, message_id=reply.message_id)
    edited = fake_telegram.wait_for(lambda s: s.method == "editMessageText", since=mark)
    all_stats = trade_stats(live.closed_trades)
    assert edited.message_id == reply.message_id and "Performance · all time" in edited.plain
    assert f"trades         {all_stats.trades} ({all_stats.wins} won" in edited.plain


def test_playbook_shows_the_current_version_and_its_changes(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                                            seeded_deps: BotDeps) -> None:
    rows = all_versions(seeded_deps.db)
    current = Playbook.model_validate(rows[-1].content)
    text = fake_telegram.reply_to("/playbook", CHAT).plain
    assert text.startswith(f"Playbook v{rows[-1].version} · reflection")
    assert f"{len(rows)} versions in total" in text
    assert f"{len(current.lessons)} lessons" in text and f"• {current.lessons[-1].text}" in text
    assert "trend_pullback (trending_up, trending_down)" in text and "volatile stand_aside" in text
    for row in rows[-3:]:
        assert f"v{row.version} (reflection" in text
        assert all(change in text for change in row.change_log)


def test_why_explains_a_trade_from_its_cycle(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                             fake_telegram: FakeTelegram, shared_seeded: SeededDatabase) -> None:
    trade = shared_seeded.seed.live.closed_trades[10]
    with seeded_deps.db.session() as session:
        from trading_bot.storage.models import DecisionCycle, Trade

        cycle_id = session.scalar(select(Trade.cycle_id).where(Trade.id == trade.trade_id))
        decision = session.get(DecisionCycle, cycle_id).decision  # type: ignore[union-attr]
        cost = session.scalar(select(func.sum(LlmCall.cost_usd)).where(LlmCall.cycle_id == cycle_id))
        calls = session.scalar(select(func.count()).select_from(LlmCall).where(LlmCall.cycle_id == cycle_id))
    text = fake_telegram.reply_to(f"/why {trade.trade_id}", CHAT).plain
    assert text.startswith(f"Why · trade #{trade.trade_id} {cycle_id}")
    assert f"Decision {decision['action']} · confidence {decision['confidence']:.2f}" in text
    assert decision["reasoning"] in text
    assert "Screener claude-haiku-4-5-20251001 → pass" in text
    assert "Risk gate approved: all limits respected" in text
    assert f"Cost {usd(cost)} in {calls} calls" in text
    assert f"net {usdt(trade.net_pnl, signed=True)}" in text


def test_why_explains_a_rejected_cycle_by_its_id(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                 fake_telegram: FakeTelegram) -> None:
    with seeded_deps.db.session() as session:
        rejection = session.scalars(select(RiskRejection).order_by(RiskRejection.id).limit(1)).one()
        cycle_id, rule, reason = rejection.cycle_id, rejection.rule, rejection.reason
    text = fake_telegram.reply_to(f"/why {cycle_id}", CHAT).plain
    assert text.startswith(f"Why · cycle {cycle_id}")
    assert f"Risk gate rejected by {rule}: {reason}" in text
    assert "outcome rejected" in text
    assert "Trade " not in text


def test_cost_today_and_this_week_match_the_seeded_ledger(seeded_bot: RunningBot, fake_telegram: FakeTelegram,
                                                          seeded_deps: BotDeps, shared_seeded: SeededDatabase) -> None:
    by_day = shared_seeded.seed.live.llm_cost_by_day
    today = seeded_deps.now().date()
    monday = today - timedelta(days=today.weekday())
    week = sum((cost for day, cost in by_day.items() if monday <= day <= today), Decimal(0))
    text = fake_telegram.reply_to("/cost", CHAT).plain
    assert f"today      {usd(by_day.get(today, Decimal(0)))} of $10.00" in text
    assert f"this week  {usd(week)}" in text
    assert week > by_day.get(today, Decimal(0)) > 0
    assert date(2026, 2, 2) == monday  # the seed ends on a Thursday: the week holds four days


def test_help_lists_every_command_and_the_menu_is_registered(seeded_bot: RunningBot,
                                                             fake_telegram: FakeTelegram) -> None:
    text = fake_telegram.reply_to("/help", CHAT).plain
    for command in COMMANDS:
        assert f"/{command.name}" in text
    assert [c["command"] for c in fake_telegram.commands] == [c.name for c in COMMANDS]
    assert "/halt (admin)" in text and "/config (admin)" in text
    assert fake_telegram.reply_to("/frobnicate", CHAT).plain.startswith("Unknown command")


def test_reflect_queues_a_deep_reflection_on_the_reflect_queue(seeded_bot: RunningBot, seeded_deps: BotDeps,
                                                               fake_telegram: FakeTelegram) -> None:
    mark = len(fake_telegram.sent)
    text = fake_telegram.reply_to("/reflect after the CPI surprise", ADMIN, expect="queued").plain
    assert "Deep reflection queued" in text
    queue = f"{seeded_deps.keys.namespace}:celery:reflect"
    (raw,) = seeded_deps.redis.lrange(queue, 0, -1)
    message: dict[str, Any] = json.loads(raw)
    assert message["headers"]["task"] == "reflect.deep"
    assert message["headers"]["id"] in text
    assert message["properties"]["delivery_info"]["routing_key"] == "reflect"
    assert message["headers"]["argsrepr"] == "()" and message["headers"]["kwargsrepr"] == "{}"
    for chat in (CHAT, ADMIN):  # who asked, and why, is announced
        announced = fake_telegram.wait_for(lambda s, c=chat: s.chat_id == c and "reflection_requested" in s.plain,
                                           since=mark)
        assert "deep reflection requested by telegram:100200300: after the CPI surprise" in announced.plain
