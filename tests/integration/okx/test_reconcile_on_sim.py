"""Reconciliation on the simulator: a stop-loss cancelled behind the bot's back is re-placed at the
journal's level; a position nobody journaled gets the fallback stop; orders and stray TP/SL
orders are brought in line; everything is reported on system:alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest
import redis

from tests.kit.cli import clean_env, run_cli
from trading_bot.clock import SystemClock
from trading_bot.domain.events import Alert
from trading_bot.domain.orders import AlgoRequest, OrderRequest
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.orders import cl_ord_id_for, enter
from trading_bot.exchange.reconcile import Reconciler, report
from trading_bot.ingest.ledger import TradeLedger
from trading_bot.storage.db import Database
from trading_bot.storage.repos.orders import get_order, open_orders
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys

pytestmark = pytest.mark.shared
D = Decimal
INST = "BTC-USDT-SWAP"


def alerts(client: redis.Redis, keys: Keys) -> list[Alert]:
    return [Alert.model_validate_json(f["data"]) for _, f in client.xrange(keys.stream(SYSTEM_ALERTS))]


def open_long(adapter: OkxRest, database: Database, client: redis.Redis, keys: Keys) -> OrderRequest:
    price = adapter.ticker(INST).last
    btc = adapter.instrument(INST)
    request = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("0.2"), td_mode="isolated",
                           cl_ord_id=cl_ord_id_for("rec1"), sl_trigger_px=btc.round_price(price * D("0.97")),
                           tp_trigger_px=btc.round_price(price * D("1.05")))
    ack = enter(adapter, request, D(2))
    order = adapter.get_order(INST, ord_id=ack.ord_id)
    assert order is not None
    TradeLedger(database, client, keys).on_order(order)  # as ws-private would have journaled it
    return request


def test_stop_loss_cancelled_behind_the_bots_back_is_restored(
        adapter: OkxRest, database: Database, redis_client: redis.Redis, keys: Keys) -> None:
    request = open_long(adapter, database, redis_client, keys)
    [protective] = adapter.pending_algo_orders(INST)
    adapter.cancel_algo_orders(INST, [protective.algo_id])  # someone cancels the SL/TP in the OKX app
    assert adapter.pending_algo_orders(INST) == []

    reconciler = Reconciler(adapter, database, D("2"))
    findings = reconciler.run()
    report(redis_client, keys, findings, SystemClock().now())

    [restored] = adapter.pending_algo_orders(INST)
    assert (restored.side, restored.sl_trigger_px, restored.tp_trigger_px) == (
        "sell", request.sl_trigger_px, request.tp_trigger_px)
    missing = [f for f in findings if f.kind == "missing_stop"]
    assert len(missing) == 1 and missing[0].repaired and missing[0].data["from_journal"]
    assert [a.severity for a in alerts(redis_client, keys) if a.kind == "reconcile_missing_stop"] == ["CRITICAL"]
    assert [f.kind for f in reconciler.run() if f.kind == "missing_stop"] == []  # nothing left to repair


def test_unjournaled_position_gets_the_fallback_stop_and_stray_orders_are_cleaned(
        adapter: OkxRest, database: Database) -> None:
    adapter.set_leverage(INST, D(2), "cross")
    adapter.place_order(OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("0.1"), td_mode="cross",
                                     cl_ord_id="manual1"))
    price = adapter.ticker(INST).last
    stray = adapter.place_algo_order(AlgoRequest(inst_id=INST, side="buy", td_mode="cross", size=D("0.01"),
                                                 sl_trigger_px=adapter.instrument(INST).round_price(price * D("1.2"))))
    resting = adapter.place_order(OrderRequest(inst_id=INST, side="buy", ord_type="limit", size=D("0.01"),
                                               price=adapter.instrument(INST).round_price(price * D("0.5")),
                                               td_mode="cross", cl_ord_id="rest1"))

    findings = {f.kind: f for f in Reconciler(adapter, database, D("2")).run()}

    [position] = adapter.positions(INST)
    [stop] = adapter.pending_algo_orders(INST)
    assert stop.algo_id != stray and stop.side == "sell" and stop.tp_trigger_px is None
    assert stop.sl_trigger_px == adapter.instrument(INST).round_price(position.avg_px * D("0.98"))
    assert not findings["missing_stop"].data["from_journal"]
    assert findings["orphan_algo"].data["algo_id"] == stray and findings["orphan_algo"].repaired
    assert findings["untracked_position"].severity == "WARN" and not findings["untracked_position"].repaired
    assert [o.ord_id for o in open_orders(database)] == [resting.ord_id]  # the unknown working order, recorded

    adapter.cancel_order(INST, ord_id=resting.ord_id)  # cancelled while nobody listened
    later = {f.kind: f for f in Reconciler(adapter, database, D("2")).run()}
    assert later["order_state"].repaired and set(later) == {"order_state", "untracked_position"}
    stored = get_order(database, INST, resting.ord_id)
    assert stored is not None and stored.state == "canceled"


def test_dry_run_reports_without_touching_anything(adapter: OkxRest, database: Database, redis_client: redis.Redis,
                                                   keys: Keys) -> None:
    open_long(adapter, database, redis_client, keys)
    adapter.cancel_algo_orders(INST, [a.algo_id for a in adapter.pending_algo_orders(INST)])
    findings = Reconciler(adapter, database, D("2"), dry_run=True).run()
    assert [(f.kind, f.repaired) for f in findings] == [("missing_stop", False), ("untracked_position", False)]
    assert adapter.pending_algo_orders(INST) == []


def test_reconcile_command_against_the_simulator(sim, adapter: OkxRest, database: Database,  # noqa: ANN001
                                                 redis_client: redis.Redis, keys: Keys, db_url: str,
                                                 redis_url: str) -> None:
    open_long(adapter, database, redis_client, keys)
    adapter.cancel_algo_orders(INST, [a.algo_id for a in adapter.pending_algo_orders(INST)])
    env = clean_env(DATABASE_URL=db_url, REDIS_URL=redis_url, REDIS_NAMESPACE=keys.namespace,
                    OKX_API_KEY=sim.api_key, OKX_API_SECRET=sim.secret_key, OKX_PASSPHRASE=sim.passphrase,
                    OKX_REST_URL=sim.rest_url)
    result = run_cli("reconcile", env=env)
    assert result.returncode == 0, result.stderr
    assert "missing_stop" in result.stdout and "1 repaired" in result.stdout
    assert sim.api_key not in result.stdout + result.stderr
    assert len(adapter.pending_algo_orders(INST)) == 1
    assert any(a.kind == "reconcile_missing_stop" for a in alerts(redis_client, keys))
