"""Reconciliation against the simulator over real HTTP: a stop-loss cancelled behind the bot's back
(directly through python-okx) is put back — by `trading-bot reconcile` as a real process and by the
function beat runs every minute — at the journal's level, with an alert on `system:alerts`."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from okx.Trade import TradeAPI

from tests.integration.okx.conftest import adapter_for
from tests.kit.cli import run_cli
from tests.kit.sim import RunningSim, running_sim
from tests.kit.sim_roles import sim_env
from trading_bot.config import load_settings
from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange.orders import cl_ord_id_for, enter
from trading_bot.exchange.reconcile import Reconciler
from trading_bot.exchange.tasks import reconcile_once
from trading_bot.storage.db import Database
from trading_bot.storage.repos import cycles
from trading_bot.storage.repos.orders import upsert_order
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys

BTC = "BTC-USDT-SWAP"


def cancel_behind_our_back(sim: RunningSim) -> list[str]:
    """Cancel every pending TP/SL algo straight through python-okx, as a person in the app would."""
    trade = sim.okx(TradeAPI)
    ids = []
    for ord_type in ("conditional", "oco"):
        for algo in trade.order_algos_list(ordType=ord_type, instType="SWAP")["data"]:
            ids.append(algo["algoId"])
    answer = trade.cancel_algo_order([{"instId": BTC, "algoId": algo_id} for algo_id in ids])
    assert answer["code"] == "0", answer
    return ids


def alerts(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    return [json.loads(fields["data"]) for _, fields in client.xrange(keys.stream(SYSTEM_ALERTS))]


@pytest.mark.slow
def test_a_stop_loss_cancelled_behind_our_back_is_restored_at_the_journal_level(
        tmp_path: Path, db_url: str, redis_url: str, namespace: str, database: Database,
        redis_client: redis.Redis, keys: Keys) -> None:
    with running_sim(seed=7) as sim:
        venue = adapter_for(sim)
        price = venue.ticker(BTC).last
        stop, target = (price * Decimal("0.97")).quantize(Decimal("0.1")), (price * Decimal("1.04")).quantize(Decimal("0.1"))
        request = OrderRequest(inst_id=BTC, side="buy", ord_type="market", size=Decimal(2), td_mode="isolated",
                               cl_ord_id=cl_ord_id_for("reconcile1"), sl_trigger_px=stop, tp_trigger_px=target)
        ack = enter(venue, request, Decimal(3))
        record = venue.order_record(BTC, ord_id=ack.ord_id)
        assert record is not None
        upsert_order(database, *record)  # what ws-private stores: the journal knows the entry's levels
        assert record[0].sl_trigger_px == stop

        # 1. `trading-bot reconcile`, a real process
        assert cancel_behind_our_back(sim)
        assert venue.pending_algo_orders(BTC) == []
        env = sim_env(sim, tmp_path, db_url, redis_url, namespace)
        done = run_cli("reconcile", env=env, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "missing_stop" in done.stdout and "repaired" in done.stdout
        restored = venue.pending_algo_orders(BTC)
        assert [(a.side, a.sl_trigger_px, a.tp_trigger_px) for a in restored] == [("sell", stop, target)]
        missing = [a for a in alerts(redis_client, keys) if a["kind"] == "reconcile_missing_stop"]
        assert len(missing) == 1 and missing[0]["severity"] == "CRITICAL" and missing[0]["data"]["repaired"]
        assert missing[0]["data"]["from_journal"] and Decimal(missing[0]["data"]["stop_px"]) == stop
        assert missing[0]["ts"].startswith("2026-01-05")  # stamped with the bot's clock: the venue's market time

        again = run_cli("reconcile", env=env, timeout=60)  # nothing left to repair
        assert again.returncode == 0 and "missing_stop" not in again.stdout, again.stdout
        assert len(venue.pending_algo_orders(BTC)) == 1

        # 2. the function beat runs every minute (`maintenance.reconcile`)
        cancel_behind_our_back(sim)
        settings = load_settings(database_url=db_url, redis_url=redis_url, redis_namespace=namespace,
                                 var_dir=tmp_path / "var", sim_port=sim.server.port)
        result = reconcile_once(settings)
        assert result["repaired"] >= 1
        assert [(a.side, a.sl_trigger_px) for a in venue.pending_algo_orders(BTC)] == [("sell", stop)]
        missing = [a for a in alerts(redis_client, keys) if a["kind"] == "reconcile_missing_stop"]
        assert len(missing) == 2 and missing[1]["ts"].startswith("2026-01-05")
        assert [(p.side, p.size) for p in venue.positions()] == [("long", Decimal(2))]  # still open, protected
        venue.close()


class _ClosesBeforePositionsAreRead:
    """The exchange as reconcile sees it when a position closes between its reads (seen in the
    soak at 720×): the TP/SL list is read with the position open, the position list after it closed."""

    def __init__(self, venue: Any, close: Any) -> None:
        self._venue, self._close = venue, close

    def positions(self, *args: Any) -> Any:
        if not args:
            self._close()
        return self._venue.positions(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._venue, name)


@pytest.mark.slow
def test_an_algo_gone_with_its_position_between_two_reads_is_no_failure(database: Database) -> None:
    with running_sim(seed=7) as sim:
        venue = adapter_for(sim)
        price = venue.ticker(BTC).last
        request = OrderRequest(inst_id=BTC, side="buy", ord_type="market", size=Decimal(2), td_mode="isolated",
                               cl_ord_id=cl_ord_id_for("reconcile2"), sl_trigger_px=(price * Decimal("0.97")).quantize(
                                   Decimal("0.1")), tp_trigger_px=(price * Decimal("1.04")).quantize(Decimal("0.1")))
        enter(venue, request, Decimal(3))
        assert len(venue.pending_algo_orders(BTC)) == 1

        def close_position() -> None:
            answer = sim.okx(TradeAPI).close_positions(instId=BTC, mgnMode="isolated")
            assert answer["code"] == "0", answer
            assert venue.pending_algo_orders(BTC) == [], "the TP/SL went with the position"

        findings = Reconciler(_ClosesBeforePositionsAreRead(venue, close_position), database, Decimal(3)).run()
        assert [f.kind for f in findings] == ["orphan_algo"] and findings[0].repaired
        assert venue.positions() == [] and venue.pending_algo_orders(BTC) == []


def test_exchange_errors_cross_process_boundaries_as_themselves() -> None:
    """Celery pickles a failed task's exception: an ExchangeError must come back whole, not as
    UnpickleableExceptionWrapper (seen in the soak on maintenance.reconcile)."""
    import pickle

    from trading_bot.exchange.errors import NotFound, RateLimited

    for error in (NotFound("51603", "Order does not exist", endpoint="trade/cancel-algos"),
                  RateLimited("50011", "Too Many Requests", http_status=429)):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert (again.code, again.message, again.endpoint, again.http_status) == \
            (error.code, error.message, error.endpoint, error.http_status)


@pytest.mark.slow
def test_a_position_its_cycle_has_not_yet_journaled_is_not_untracked(database: Database) -> None:
    """Between an entry's fill and its cycle's journal commit the position is on the exchange only
    (CI saw the minute's reconcile land there): the running cycle explains it, until it ends."""
    with running_sim(seed=7) as sim:
        venue = adapter_for(sim)
        price = venue.ticker(BTC).last
        request = OrderRequest(inst_id=BTC, side="buy", ord_type="market", size=Decimal(2), td_mode="isolated",
                               cl_ord_id=cl_ord_id_for("reconcile3"), sl_trigger_px=(price * Decimal("0.97")).quantize(
                                   Decimal("0.1")))
        now = datetime.now(UTC)
        cycles.start_cycle(database, "opening-cycle", BTC, "beat", now, now)
        cycles.record_stage(database, "opening-cycle", "ANALYZING", now, now, "decided", action="OPEN_LONG")
        enter(venue, request, Decimal(3))

        assert [f.kind for f in Reconciler(venue, database, Decimal(3)).run()] == []
        cycles.abandon(database, "opening-cycle", now, "its worker was lost")
        assert [(f.kind, f.data) for f in Reconciler(venue, database, Decimal(3)).run()] == \
            [("untracked_position", {"side": "long"})]
        venue.close()
