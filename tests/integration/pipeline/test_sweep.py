"""The cycle sweeper on a real PostgreSQL and Redis, over the in-process simulator: a cycle that
stopped moving ends as `abandoned` (unless its lock says it still runs, or its entry was placed:
then it is followed through), and slots without a row get `missed` rows naming the cause."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import redis

from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.clock import parse_iso
from trading_bot.config import Settings
from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange import orders
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.pipeline.locks import CycleLocks
from trading_bot.pipeline.ports import Ports
from trading_bot.pipeline.sweep import Restart, SweepPolicy, service_restarts, sweep
from trading_bot.storage.db import Database
from trading_bot.storage.repos import cycles as repo
from trading_bot.storage.streams import Keys

INST = "BTC-USDT-SWAP"
START = parse_iso("2026-01-05T12:00:00Z")
POLICY = SweepPolicy(cycle_seconds=300, offset_seconds=5, speed=1.0)  # abandon after 600 s


@pytest.fixture
def ports(settings: Settings, database: Database) -> Ports:
    exchange = InProcessExchange(build_venue(SimSpec(speed=0, start=START), START))
    return inprocess_ports(settings, exchange, database, "live")


@pytest.fixture
def locks(redis_client: redis.Redis, keys: Keys) -> CycleLocks:
    return CycleLocks(redis_client, keys, ttl_seconds=60)


def slot(n: int) -> datetime:
    return START + timedelta(seconds=5 + 300 * n)


def started(ports: Ports, n: int, stage: str | None = None, **columns: object) -> str:
    cycle_id = cycle_id_for(INST, slot(n))
    assert repo.start_cycle(ports.db, cycle_id, INST, "beat", slot(n), slot(n) + timedelta(seconds=1))
    if stage:
        repo.record_stage(ports.db, cycle_id, stage, slot(n) + timedelta(seconds=1), slot(n) + timedelta(seconds=2),
                          "ok", **columns)
    return cycle_id


def finished(ports: Ports, n: int) -> str:
    cycle_id = started(ports, n)
    repo.finish_cycle(ports.db, cycle_id, slot(n) + timedelta(seconds=3), "screened_out")
    return cycle_id


def at(ports: Ports, when: datetime) -> None:
    ports.exchange.advance_to(when)  # type: ignore[attr-defined]


def test_stuck_cycles_are_abandoned_with_their_stage_unless_they_still_hold_their_lock(
        ports: Ports, locks: CycleLocks) -> None:
    stuck = started(ports, 0, "COLLECTING")
    running = started(ports, 1, "SCREENING")
    young = started(ports, 2)
    locks.acquire(INST, running)
    at(ports, slot(2) + timedelta(seconds=599))
    resumed: list[str] = []

    report = sweep(ports, locks, POLICY, [INST], [], resumed.append)

    assert report.abandoned == [stuck] and report.resumed == [] and resumed == []
    row = repo.get_cycle(ports.db, stuck)
    assert row.outcome == "abandoned" and row.stage == "FAILED" and row.finished_at == ports.clock.now()
    assert row.error == ("abandoned in COLLECTING: no progress since 2026-01-05 12:00:07Z; "
                         "its worker or its next task was lost")
    assert repo.get_cycle(ports.db, running).finished_at is None, "its lock says it still runs"
    assert repo.get_cycle(ports.db, young).finished_at is None, "younger than two intervals"
    assert sweep(ports, locks, POLICY, [INST], [], resumed.append).abandoned == [], "an end is written once"


def test_an_abandoned_cycle_whose_entry_was_placed_is_followed_through(ports: Ports, locks: CycleLocks) -> None:
    placed = started(ports, 0, "RISK_CHECK", approved=True)
    not_placed = started(ports, 1, "RISK_CHECK", approved=True)
    cl_ord_id = orders.cl_ord_id_for(placed, "e")
    ports.exchange.place_order(OrderRequest(inst_id=INST, side="buy", ord_type="market", size=Decimal("0.1"),
                                            td_mode="isolated", cl_ord_id=cl_ord_id))
    at(ports, slot(4))
    resumed: list[str] = []

    report = sweep(ports, locks, POLICY, [INST], [], resumed.append)

    assert report.resumed == [placed] and resumed == [placed] and report.abandoned == [not_placed]
    row = repo.get_cycle(ports.db, placed)
    assert row.finished_at is None and row.cl_ord_id == cl_ord_id, "confirm finds its order by the clOrdId"
    assert row.timeline[-1]["stage"] == "CONFIRMING" and row.timeline[-1]["outcome"] == "resumed_by_sweeper"
    assert locks.holder(INST) == placed, "the resumed cycle holds its instrument until it ends"
    assert sweep(ports, locks, POLICY, [INST], [], resumed.append).resumed == [], "resumed once"


def test_slots_without_a_row_are_recorded_missed_with_the_restart_that_explains_them(
        ports: Ports, locks: CycleLocks) -> None:
    for n in (0, 1, 4):
        finished(ports, n)
    at(ports, slot(7) + timedelta(seconds=10))  # slot 7 is current: its start may still be on its way
    redis_back = Restart("Redis", slot(3) + timedelta(seconds=40))

    report = sweep(ports, locks, POLICY, [INST], [redis_back], lambda _: None)

    assert report.missed == [cycle_id_for(INST, slot(n)) for n in (2, 3, 5, 6)]
    rows = {n: repo.get_cycle(ports.db, cycle_id_for(INST, slot(n))) for n in (2, 3, 5, 6)}
    assert all(r.outcome == "missed" and r.stage == "FAILED" and r.scheduled_for == slot(n) for n, r in rows.items())
    assert rows[2].error == rows[3].error == "no cycle started for this slot: Redis restarted at 2026-01-05 12:15:45Z"
    assert rows[5].error.startswith("no cycle started for this slot: the beat sent no start or it was not run in time")
    assert sweep(ports, locks, POLICY, [INST], [redis_back], lambda _: None).missed == [], "recorded once"
    assert not repo.start_cycle(ports.db, cycle_id_for(INST, slot(6)), INST, "beat", slot(6), ports.clock.now()), \
        "a late start of a missed slot finds its row"


def test_nothing_is_missed_before_the_first_cycle_or_beyond_the_lookback(ports: Ports, locks: CycleLocks) -> None:
    at(ports, slot(30))
    assert sweep(ports, locks, POLICY, [INST], [], lambda _: None).missed == [], "a new bot missed nothing"
    finished(ports, 0)  # 30 slots ago: a bot stopped for longer than the lookback (12 slots)
    assert sweep(ports, locks, POLICY, [INST], [], lambda _: None).missed == []


def test_service_restarts_are_read_from_the_servers(ports: Ports, redis_client: redis.Redis) -> None:
    now = ports.clock.now()
    restarts = {r.service: r.at for r in service_restarts(redis_client, ports.db, now, speed=60.0)}
    assert set(restarts) == {"Redis", "PostgreSQL"}
    uptime = float(redis_client.info("server")["uptime_in_seconds"])
    assert abs((now - restarts["Redis"]).total_seconds() - uptime * 60) <= 120, "uptime scaled to market time"
    assert restarts["PostgreSQL"] < now
