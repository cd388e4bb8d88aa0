"""A risk service on a fresh database, a Redis namespace and a manual clock, plus a journal that
writes what ws-private and the pipeline would: equity observations and closed trades."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.kit import risk as kit
from trading_bot.clock import ManualClock
from trading_bot.domain.orders import Account
from trading_bot.risk.service import RiskService
from trading_bot.storage.db import Database
from trading_bot.storage.models import AccountSnapshot, Trade
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys

START = datetime(2026, 1, 7, 0, 0, tzinfo=UTC)


class Journal:
    def __init__(self, db: Database, clock: ManualClock) -> None:
        self.db, self.clock = db, clock

    def equity(self, equity: str, at: datetime | None = None) -> None:
        with self.db.session() as session:
            session.add(AccountSnapshot(ts=at or self.clock.now(), equity=Decimal(equity), available=Decimal(equity),
                                        frozen=Decimal(0), upl=Decimal(0)))

    def trade(self, net_pnl: str, exit_at: datetime | None = None) -> None:
        exit_at = exit_at or self.clock.now()
        with self.db.session() as session:
            session.add(Trade(instrument=kit.BTC, side="long", status="closed", leverage=Decimal(3), size=Decimal(1),
                              notional=Decimal(500), entry_ts=exit_at - timedelta(hours=1), entry_px=Decimal(50000),
                              exit_ts=exit_at, exit_px=Decimal(50000), realized_pnl=Decimal(net_pnl),
                              fees=Decimal(0), funding=Decimal(0), net_pnl=Decimal(net_pnl)))


def account(equity: str, at: datetime) -> Account:
    return Account(equity=Decimal(equity), available=Decimal(equity), frozen=Decimal(0), upl=Decimal(0), ts=at)


def alerts(redis_client, keys: Keys) -> list[dict]:  # noqa: ANN001
    import json

    return [json.loads(fields["data"]) for _, fields in redis_client.xrange(keys.stream(SYSTEM_ALERTS))]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START + timedelta(hours=12))


@pytest.fixture
def risk(database, redis_client, keys, clock) -> RiskService:  # noqa: ANN001
    return RiskService(database, redis_client, keys, clock)


@pytest.fixture
def journal(database, clock) -> Journal:  # noqa: ANN001
    return Journal(database, clock)


def fresh_market(clock: ManualClock):  # noqa: ANN201
    return kit.market(snapshot_at=clock.now() - timedelta(seconds=5))
