"""`trading-bot state|halt|resume` as real subprocesses against the test database and Redis."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from tests.kit.cli import clean_env, run_cli
from trading_bot.storage.models import AccountSnapshot, BotStateEvent
from trading_bot.storage.streams import SYSTEM_ALERTS


def _env(db_url: str, redis_url: str, namespace: str) -> dict[str, str]:
    return clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace)


def test_halt_state_and_resume_from_the_command_line(db_url, redis_url, namespace, database, redis_client, keys):
    env = _env(db_url, redis_url, namespace)
    shown = run_cli("state", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "RUNNING" in shown.stdout and "no account observation recorded yet" in shown.stdout
    assert "losing streak      0" in shown.stdout
    with database.session() as session:
        session.add(AccountSnapshot(ts=datetime.now(UTC) - timedelta(minutes=1), equity=Decimal("10250.5"),
                                    available=Decimal(10000), frozen=Decimal(0), upl=Decimal(0)))

    halted = run_cli("halt", "--reason", "exchange maintenance", env=env)
    assert halted.returncode == 0, halted.stderr
    assert "HALTED" in halted.stdout and "exchange maintenance" in halted.stdout
    again = run_cli("halt", env=env)
    assert again.returncode == 1 and "already HALTED" in again.stderr

    state = run_cli("state", "--history", "3", env=env)
    assert "HALTED" in state.stdout and f"cli:{getpass.getuser()}" in state.stdout
    assert "equity             10250.5 USDT" in state.stdout and "drawdown 0.00 %" in state.stdout

    resumed = run_cli("resume", "--reason", "maintenance over", env=env)
    assert resumed.returncode == 0 and "RUNNING" in resumed.stdout
    refused = run_cli("resume", env=env)
    assert refused.returncode == 1 and "already RUNNING" in refused.stderr

    with database.session() as session:
        rows = session.scalars(select(BotStateEvent).order_by(BotStateEvent.id)).all()
        assert [(r.to_state, r.reason) for r in rows] == [("HALTED", "exchange maintenance"),
                                                          ("RUNNING", "maintenance over")]
    kinds = [fields["type"] for _, fields in redis_client.xrange(keys.stream(SYSTEM_ALERTS))]
    assert kinds == ["Alert", "Alert"]


def test_halt_explains_itself():
    helped = run_cli("halt", "--help")
    assert helped.returncode == 0 and "--reason" in helped.stdout and "--run-id" in helped.stdout
