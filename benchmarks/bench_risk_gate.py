"""Risk gate cost: the pure `check()` per decision, and the full `RiskService.evaluate()` round
trip (journal the account, derive the counters, check, store a rejection) on real PostgreSQL and
Redis, also with a month of per-minute equity observations behind the peak-equity query."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from decimal import Decimal
from statistics import median

GATE_CALLS = 5_000
SERVICE_CALLS = 200


def main() -> None:
    gate_figures()
    service_figures()


def _per_call_us(fn, calls: int) -> float:  # noqa: ANN001
    started = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - started) / calls * 1e6


def gate_figures() -> None:
    from tests.kit import risk as kit
    from tests.unit.risk.worlds import CLOSE_POOL
    from trading_bot.risk.gate import check

    closes = CLOSE_POOL
    market = kit.market(kit.inst_market(closes=closes[0]), kit.inst_market(kit.ETH, "3000", closes=closes[10]),
                        kit.inst_market(kit.SOL, "150", closes=closes[20]))
    positions = [kit.position(kit.ETH, "long", "1", "3000"), kit.position(kit.SOL, "long", "1", "150")]
    approved = check(kit.long(), kit.account(), positions, kit.status(), market, kit.NOW)
    assert approved.approved, approved.reason
    cases = {
        "approved entry, 2 same-direction positions (2 correlations over 100 1H returns)":
            lambda: check(kit.long(), kit.account(), positions, kit.status(), market, kit.NOW),
        "approved entry, empty book": lambda: check(kit.long(), kit.account(), [], kit.status(), kit.market(), kit.NOW),
        "rejected early (NaN size)": lambda: check(kit.long(size_pct=Decimal("NaN")), kit.account(), [], kit.status(),
                                                   kit.market(), kit.NOW),
    }
    for name, fn in cases.items():
        print(f"check(): {_per_call_us(fn, GATE_CALLS):8.1f} µs per call  {name}")


def service_figures() -> None:
    from tests.kit import risk as kit
    from tests.kit import services
    from trading_bot.clock import ManualClock
    from trading_bot.risk.service import RiskService
    from trading_bot.storage import migrate
    from trading_bot.storage.db import Database, dispose_engines, engine_for
    from trading_bot.storage.models import AccountSnapshot
    from trading_bot.storage.redis_client import redis_for
    from trading_bot.storage.streams import Keys

    with services.postgres_server() as admin, services.redis_server() as redis_url:
        name = services.create_database(admin, prefix="tb_bench")
        keys = Keys(f"bench{uuid.uuid4().hex[:8]}")
        client = redis_for(redis_url)
        try:
            url = services.database_url(admin, name).replace("postgresql://", "postgresql+psycopg://")
            migrate.upgrade(url)
            db = Database(engine_for(url))
            clock = ManualClock(kit.NOW)
            risk = RiskService(db, client, keys, clock)
            for label, decision in (("approved", kit.long()), ("rejected (stored)", kit.long(stop="45000"))):
                print(f"evaluate(): {_evaluate_ms(risk, clock, decision):7.2f} ms median, {label}, empty journal")
            with db.session() as session:
                start = kit.NOW - timedelta(days=30)
                session.add_all(AccountSnapshot(ts=start + timedelta(minutes=i), equity=Decimal(10000 + i % 97),
                                                available=Decimal(10000), frozen=Decimal(0), upl=Decimal(0))
                                for i in range(30 * 24 * 60))
            print(f"evaluate(): {_evaluate_ms(risk, clock, kit.long()):7.2f} ms median, approved, "
                  f"{30 * 24 * 60:,} equity observations (one a minute for 30 days)")
        finally:
            for key in client.scan_iter(match=f"{keys.namespace}:*"):
                client.delete(key)
            dispose_engines()
            services.drop_database(admin, name)


def _evaluate_ms(risk, clock, decision) -> float:  # noqa: ANN001
    from tests.kit import risk as kit
    from trading_bot.domain.orders import Account

    timings = []
    for _ in range(SERVICE_CALLS):
        clock.advance(timedelta(seconds=1))
        account = Account(equity=Decimal(10000), available=Decimal(10000), frozen=Decimal(0), upl=Decimal(0),
                          ts=clock.now())
        market = kit.market(snapshot_at=clock.now())
        started = time.perf_counter()
        risk.evaluate(decision, account, [], market)
        timings.append((time.perf_counter() - started) * 1000)
    return median(timings)
