"""A real worker of the execute queue reconciles when it starts (restoring a missing stop before
it takes any order), and `maintenance.reconcile` (what beat runs every minute) does the same."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from trading_bot.celery_app import app, configure
from trading_bot.config import Settings
from trading_bot.domain.orders import OrderRequest
from trading_bot.exchange.okx.rest import OkxRest
from trading_bot.exchange.tasks import RECONCILE_TASK

pytestmark = [pytest.mark.shared, pytest.mark.slow]
INST = "BTC-USDT-SWAP"


def test_execute_worker_restores_a_missing_stop_on_start_and_beat_task_reconciles(
        sim, adapter: OkxRest, settings: Settings) -> None:  # noqa: ANN001
    adapter.set_leverage(INST, Decimal(2), "isolated")
    adapter.place_order(OrderRequest(inst_id=INST, side="sell", ord_type="market", size=Decimal("0.1"),
                                     td_mode="isolated", cl_ord_id="naked1"))  # a short without any stop
    env = clean_env(REDIS_URL=settings.redis_dsn(), REDIS_NAMESPACE=settings.redis_namespace,
                    DATABASE_URL=settings.database_dsn().replace("+psycopg", ""), VAR_DIR=str(settings.var_dir),
                    OKX_API_KEY=sim.api_key, OKX_API_SECRET=sim.secret_key, OKX_PASSPHRASE=sim.passphrase,
                    OKX_REST_URL=sim.rest_url)
    worker = Proc(python_module("celery", "-A", "trading_bot.celery_app", "worker", "-Q", "execute,maintenance",
                                "-n", "trade@okxtest", "-P", "solo", "--without-mingle", "--without-gossip",
                                "--loglevel", "INFO"), env, name="worker")
    try:
        worker.wait_for("ready.", timeout=90)
        worker.wait_for("reconcile_on_start", timeout=30)
        [stop] = adapter.pending_algo_orders(INST)
        [position] = adapter.positions(INST)
        assert stop.side == "buy" and stop.sl_trigger_px == adapter.instrument(INST).round_price(
            position.avg_px * Decimal("1.02"))  # the 2 % fallback above a short's entry
        assert sim.api_key not in worker.output

        adapter.cancel_algo_orders(INST, [stop.algo_id])
        configure(settings)
        result = app.send_task(RECONCILE_TASK).get(timeout=60)
        assert result["repaired"] == 1 and len(adapter.pending_algo_orders(INST)) == 1
    finally:
        worker.stop()
