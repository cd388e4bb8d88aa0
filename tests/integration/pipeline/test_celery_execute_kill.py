"""A worker-trade killed with SIGKILL while its execute task is inside the order placement, then
restarted: the task is redelivered (acks_late, visibility timeout) and the cycle ends with exactly
one order under its clOrdId on the simulator and one `orders` row. Real processes throughout:
`trading-bot sim` and the worker-trade role; the cycle is prepared in this process up to the gate."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest
from okx.Account import AccountAPI
from okx.Trade import TradeAPI
from sqlalchemy import select

from tests.kit.brains import GoLong
from tests.kit.stack import running_stack
from tests.kit.stack_cycle import INST, finished, killed_inside_placement, prepared_for_execute
from tests.kit.waiting import wait_until
from trading_bot.exchange import orders
from trading_bot.storage.models import Order

pytestmark = [pytest.mark.slow]
HOLD_MS = 4000  # the placement waits this long on the simulator: the kill lands inside it


def test_execute_killed_mid_placement_is_redelivered_and_places_one_order(
        db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> None:
    with running_stack(db_url, redis_url, namespace, tmp_path, CELERY_VISIBILITY_TIMEOUT="30",
                       INSTRUMENTS=INST, CYCLE_SECONDS="300") as stack:
        stack.start_sim()
        stack.start_role("worker-trade")
        ports, cycle_id = prepared_for_execute(stack, GoLong())
        cl_ord_id = orders.cl_ord_id_for(cycle_id, "e")

        killed = killed_inside_placement(stack, cycle_id, HOLD_MS)
        assert "Task pipeline.execute[" in killed.first_output and "succeeded" not in killed.first_output
        restarted = killed.restarted
        wait_until(lambda: finished(ports, cycle_id) is not None, 120, "the redelivered cycle to finish",
                   lambda: restarted.output[-4000:])
        redelivered_after = time.monotonic() - killed.killed_at
        row = finished(ports, cycle_id)
        assert row is not None and row.outcome == "filled", (row and row.outcome, restarted.output[-3000:])
        assert "Task pipeline.execute[" in restarted.output, "the killed execute task was delivered again"
        assert 25 <= redelivered_after <= 90, "redelivered after the visibility timeout (30 s), at a restore check"

        history = stack.okx(TradeAPI).get_orders_history(instType="SWAP")["data"]
        pending = stack.okx(TradeAPI).get_order_list(instType="SWAP")["data"]
        mine = [o for o in history + pending if o["clOrdId"] == cl_ord_id]
        assert len(mine) == 1, mine
        (position,) = [p for p in stack.okx(AccountAPI).get_positions(instType="SWAP")["data"] if p["pos"] != "0"]
        assert Decimal(position["pos"]) == Decimal(mine[0]["accFillSz"]), "one entry's worth, not two"
        with ports.db.session() as session:
            rows = session.scalars(select(Order).where(Order.cl_ord_id == cl_ord_id)).all()
        assert len(rows) == 1 and rows[0].cycle_id == cycle_id and rows[0].purpose == "entry"
        stages = [entry["stage"] for entry in row.timeline]
        assert stages.count("EXECUTING") >= 1 and stages[-1] == "JOURNALING", stages
        print(f"redelivered and finished {redelivered_after:.1f}s after the kill; "
              f"order {'found by lookup' if 'order_exists' in restarted.output else 'placed by the redelivery'}")
