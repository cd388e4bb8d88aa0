"""The bot's safety states on real PostgreSQL and Redis with a manual clock: cooldown after three
losses, daily-loss halt until the next UTC day, drawdown emergency halt, admin halt/resume rules,
alerts, the Redis cache, and state that survives a restart."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tests.integration.risk.conftest import START, account, alerts, fresh_market
from tests.kit import risk as kit
from trading_bot.domain.decision import Decision
from trading_bot.risk.service import RiskService
from trading_bot.risk.state import StateRecord, TransitionRefused, cached_state
from trading_bot.risk.status import BotState
from trading_bot.risk.verdict import Rule
from trading_bot.storage.db import Database, dispose_engines
from trading_bot.storage.models import AccountSnapshot, BotStateEvent
from trading_bot.storage.redis_client import close_redis_clients, redis_for

D = Decimal


def _long(risk: RiskService, equity: str, clock):  # noqa: ANN001, ANN202
    return risk.evaluate(kit.long(), account(equity, clock.now()), [], fresh_market(clock))


def _events(database: Database) -> list[BotStateEvent]:
    with database.session() as session:
        return list(session.scalars(select(BotStateEvent).order_by(BotStateEvent.id)))


def test_a_new_bot_is_running_and_records_its_first_equity_as_the_baseline(risk, clock, database):
    assert risk.state.current() == StateRecord(state=BotState.RUNNING, since=None)
    verdict = _long(risk, "10000", clock)
    assert verdict.approved
    status = risk.state.status()
    assert (status.day_start_equity, status.peak_equity, status.consecutive_losses) == (D(10000), D(10000), 0)
    with database.session() as session:
        assert session.scalar(select(AccountSnapshot.equity)) == D(10000)


def test_three_losses_start_a_cooldown_that_ends_after_thirty_minutes(risk, journal, clock, database, redis_client,
                                                                      keys):
    journal.equity("10000", START)
    for minutes in (30, 20, 10):
        journal.trade("-10", clock.now() - timedelta(minutes=minutes))
    verdict = _long(risk, "9970", clock)
    assert verdict.rule is Rule.CONSECUTIVE_LOSSES and not verdict.approved
    record = risk.state.current()
    assert record.state is BotState.COOLDOWN and record.until == clock.now() + timedelta(minutes=30)
    assert alerts(redis_client, keys)[-1]["severity"] == "WARN"
    assert cached_state(redis_client, keys).state is BotState.COOLDOWN

    clock.advance(timedelta(minutes=29, seconds=59))
    assert _long(risk, "9970", clock).rule is Rule.BOT_STATE
    clock.advance(timedelta(seconds=1))
    assert risk.state.current().state is BotState.RUNNING
    assert _long(risk, "9970", clock).approved  # the pause served the streak
    ended = _events(database)[-1]
    assert (ended.from_state, ended.to_state, ended.actor) == ("COOLDOWN", "RUNNING", "system")

    journal.trade("-5")  # a fourth loss in a row: cool down again
    clock.advance(timedelta(minutes=1))
    assert _long(risk, "9965", clock).rule is Rule.CONSECUTIVE_LOSSES
    journal.trade("25", clock.now())  # a win ends the streak
    assert risk.state.status().consecutive_losses == 0


def test_daily_loss_of_three_percent_halts_until_the_next_utc_day(risk, journal, clock, redis_client, keys):
    journal.equity("10000", START - timedelta(minutes=1))
    verdict = _long(risk, "9700", clock)
    assert verdict.rule is Rule.DAILY_LOSS
    record = risk.state.current()
    assert record.state is BotState.HALTED and record.until == START + timedelta(days=1)
    alert = alerts(redis_client, keys)[-1]
    assert alert["severity"] == "CRITICAL" and alert["kind"] == "bot_halted" and "3.00 %" in alert["message"]

    clock.set(START + timedelta(days=1) - timedelta(seconds=1))
    assert _long(risk, "9700", clock).rule is Rule.BOT_STATE
    clock.set(START + timedelta(days=1))
    assert risk.state.current().state is BotState.RUNNING  # the next UTC day resumes
    verdict = _long(risk, "9700", clock)  # today's baseline is the 9,700 at midnight
    assert verdict.approved and verdict.numbers["daily_loss_pct"] == 0


def test_an_admin_resume_restarts_the_daily_baseline(risk, journal, clock):
    journal.equity("10000", START)
    assert _long(risk, "9650", clock).rule is Rule.DAILY_LOSS
    clock.advance(timedelta(minutes=5))
    risk.state.resume("telegram:42", "checked the losses")
    clock.advance(timedelta(minutes=5))
    assert _long(risk, "9650", clock).approved
    assert _long(risk, "9360", clock).rule is Rule.DAILY_LOSS  # 3 % below the resume's 9,650


def test_a_ten_percent_drawdown_is_an_emergency_halt_only_an_admin_ends(risk, journal, clock, redis_client, keys):
    journal.equity("11000", START - timedelta(days=3))
    journal.equity("10200", START)
    verdict = _long(risk, "9900", clock)  # 10 % below the 11,000 peak, 2.94 % down on the day
    assert verdict.rule is Rule.DRAWDOWN and verdict.escalation.to_state is BotState.EMERGENCY_HALTED
    assert risk.state.current().state is BotState.EMERGENCY_HALTED
    assert alerts(redis_client, keys)[-1]["kind"] == "bot_emergency_halted"

    clock.advance(timedelta(days=3))
    assert risk.state.current().state is BotState.EMERGENCY_HALTED  # no clock ends it
    assert _long(risk, "9900", clock).rule is Rule.BOT_STATE
    risk.state.resume("cli:ops", "positions closed, reviewed")
    clock.advance(timedelta(minutes=1))
    assert _long(risk, "9900", clock).approved  # the peak restarted from the equity at the resume


def test_close_and_hold_pass_while_halted(risk, clock):
    risk.state.halt("cli:ops", "maintenance")
    close = risk.evaluate(Decision(inst_id=kit.BTC, action="CLOSE"), account("10000", clock.now()), [],
                          fresh_market(clock))
    assert close.approved and close.rule is Rule.CLOSE
    assert _long(risk, "10000", clock).rule is Rule.BOT_STATE


@pytest.mark.parametrize("state, allowed", [
    (BotState.RUNNING, False), (BotState.COOLDOWN, False), (BotState.HALTED, True), (BotState.EMERGENCY_HALTED, True),
])
def test_admin_resume_only_from_a_halt(risk, journal, clock, database, state, allowed):
    journal.equity("10000", START)
    if state is BotState.COOLDOWN:
        for _ in range(3):
            journal.trade("-1", clock.now() - timedelta(minutes=1))
        risk.watch(account("9997", clock.now()))
    elif state is not BotState.RUNNING:
        risk.state.halt("telegram:7", "test", emergency=state is BotState.EMERGENCY_HALTED)
    assert risk.state.current().state is state
    before = len(_events(database))
    if allowed:
        record = risk.state.resume("telegram:7", "ok")
        assert record.state is BotState.RUNNING and record.actor == "telegram:7"
        assert _events(database)[-1].data["rebaseline"] == (
            ["day", "peak"] if state is BotState.EMERGENCY_HALTED else ["day"])
    else:
        with pytest.raises(TransitionRefused, match="resumes by itself" if state is BotState.COOLDOWN else "RUNNING"):
            risk.state.resume("telegram:7", "ok")
        assert len(_events(database)) == before


def test_admin_halts(risk, clock):
    halted = risk.state.halt("telegram:7", "news")
    assert halted.state is BotState.HALTED and halted.until is None
    with pytest.raises(TransitionRefused, match="already HALTED"):
        risk.state.halt("telegram:8", "again")
    assert risk.state.halt("telegram:7", "flatten", emergency=True).state is BotState.EMERGENCY_HALTED
    with pytest.raises(TransitionRefused, match="already EMERGENCY_HALTED"):
        risk.state.halt("telegram:7", "x")
    clock.advance(timedelta(days=2))
    assert risk.state.current().state is BotState.EMERGENCY_HALTED


def test_an_admin_halt_turns_a_daily_halt_into_one_that_waits_for_a_resume(risk, journal, clock):
    journal.equity("10000", START)
    _long(risk, "9600", clock)
    assert risk.state.current().until is not None
    record = risk.state.halt("telegram:7", "keep it off")
    assert record.state is BotState.HALTED and record.until is None
    clock.set(START + timedelta(days=2))
    assert risk.state.current().state is BotState.HALTED


def test_every_transition_is_an_event_row_with_who_and_why(risk, journal, clock, database):
    journal.equity("10000", START)
    risk.state.halt("cli:alice", "going to lunch")
    risk.state.resume("telegram:99", "back")
    rows = _events(database)
    assert [(r.from_state, r.to_state, r.actor, r.reason) for r in rows] == [
        ("RUNNING", "HALTED", "cli:alice", "going to lunch"), ("HALTED", "RUNNING", "telegram:99", "back")]
    assert all(r.ts == clock.now() for r in rows)


def test_state_and_counters_survive_a_restart_and_a_lost_cache(risk, journal, clock, settings, redis_client, keys):
    journal.equity("10000", START)
    for minutes in (3, 2, 1):
        journal.trade("-2", clock.now() - timedelta(minutes=minutes))
    _long(risk, "9994", clock)
    before = risk.state.status()
    assert before.state is BotState.COOLDOWN

    dispose_engines()  # a new process: new connections, nothing in memory, and Redis flushed
    close_redis_clients()
    redis_for(settings.redis_dsn()).delete(keys.bot_state())
    restarted = RiskService(Database.from_settings(settings), redis_for(settings.redis_dsn()), keys, clock)
    assert restarted.state.status() == before
    assert cached_state(redis_client, keys).state is BotState.COOLDOWN  # refilled from PostgreSQL


def test_concurrent_escalations_make_one_transition(risk, journal, clock, database):
    journal.equity("10000", START)
    escalation = _long(risk, "9000", clock).escalation
    risk.state.resume("cli:ops", "reset")  # back to RUNNING to race the same escalation again
    barrier = threading.Barrier(6)
    results = []

    def race() -> None:
        barrier.wait()
        results.append(risk.state.escalate(escalation))

    threads = [threading.Thread(target=race) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    assert [r.to_state for r in _events(database)].count("EMERGENCY_HALTED") == 2


def test_watching_the_account_takes_four_statements_and_no_lock(risk, journal, clock, database):  # noqa: ANN001
    """Every cycle hands the account to `watch` (twice with the gate's `evaluate`): the equity is
    recorded and the state and counters read in four statements (record, state, marks, streak)
    plus the equity curve's two, without the run's advisory lock; the lock is taken only when an
    ended cooldown has to be written, and the state read again under it."""
    journal.equity("10000", START)
    for minutes in (30, 20, 10):
        journal.trade("-10", clock.now() - timedelta(minutes=minutes))
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        assert risk.watch(account("9970", clock.now())).state is BotState.COOLDOWN  # the streak: escalated
        statements.clear()
        clock.advance(timedelta(minutes=5))
        assert risk.watch(account("9971", clock.now())).state is BotState.COOLDOWN
        quiet = list(statements)
        statements.clear()
        clock.advance(timedelta(minutes=26))
        assert risk.watch(account("9972", clock.now())).state is BotState.RUNNING  # the cooldown is over
        ended = list(statements)
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert len(quiet) == 6 and not any("pg_advisory_xact_lock" in s for s in quiet), quiet
    assert sum("pg_advisory_xact_lock" in s for s in ended) == 1
    assert [e.to_state for e in _events(database)] == ["COOLDOWN", "RUNNING"]
