"""A resting limit entry polled for its fill by a real worker-trade, then an exchange error on one
of the polls: the error is retried on its own budget (the polls before it spent none of it), the
entry fills and is journaled, and the cycle ends as filled. Real processes: `trading-bot sim`
(its `fail_next` fault answers 503 / 50001) and the worker-trade role; the cycle is prepared in
this process up to the gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.kit.brains import LimitLong
from tests.kit.stack import running_stack
from tests.kit.stack_cycle import INST, cycle_row, finished, outcomes, prepared_for_execute
from tests.kit.waiting import wait_until
from trading_bot.celery_app import app, configure
from trading_bot.exchange import orders
from trading_bot.risk.verdict import Verdict
from trading_bot.storage.models import Order, Trade

pytestmark = [pytest.mark.slow]
BELOW_PCT = Decimal("0.8")  # the limit rests this far under the price: the synthetic walk does not reach it in seconds
POLLS_BEFORE_ERROR = 4  # more than the 3 retries an exchange error gets


def test_an_exchange_error_after_several_fill_polls_does_not_end_the_cycle(
        db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> None:
    # OKX_MAX_RETRIES=0: the client does not retry, so the simulator's 503 reaches the task
    with running_stack(db_url, redis_url, namespace, tmp_path, INSTRUMENTS=INST, CYCLE_SECONDS="300",
                       OKX_MAX_RETRIES="0") as stack:
        stack.start_sim()
        worker = stack.start_role("worker-trade")
        ports, cycle_id = prepared_for_execute(stack, LimitLong(BELOW_PCT))
        sized = Verdict.model_validate(cycle_row(ports, cycle_id).verdict).order
        assert sized is not None and sized.ord_type == "limit" and sized.price is not None

        def said() -> str:
            return "worker-trade said:\n" + worker.output[-4000:]

        configure(stack.settings)
        app.send_task("pipeline.execute", args=[cycle_id])
        wait_until(lambda: outcomes(ports, cycle_id, "CONFIRMING").count("waiting") >= POLLS_BEFORE_ERROR, 60,
                   f"{POLLS_BEFORE_ERROR} fill polls of the resting entry", said)
        # two failures: the worker's clock refresh may take one (it keeps extrapolating), the next poll gets the other
        stack.sim_control("faults", fail_next=2)
        wait_until(lambda: "error" in outcomes(ports, cycle_id, "CONFIRMING"), 30, "a poll to meet the 503", said)
        # the price drops 1.2 % at the next 1-minute bar: through the limit, not to the stop (1 % under it)
        stack.sim_control("shock", instId=INST, pct=-1.2)
        stack.sim_control("advance", seconds=61)
        wait_until(lambda: finished(ports, cycle_id) is not None, 60, "the cycle to finish", said)

        row = finished(ports, cycle_id)
        assert row is not None
        assert (row.outcome, row.error) == ("filled", None), said()
        confirming = outcomes(ports, cycle_id, "CONFIRMING")
        assert confirming.count("waiting") >= POLLS_BEFORE_ERROR and confirming[-1] == "filled", confirming
        assert "error" in confirming, confirming
        assert [entry["stage"] for entry in row.timeline][-1] == "JOURNALING"
        cl_ord_id = orders.cl_ord_id_for(cycle_id, "e")
        with ports.db.session() as session:
            trade = session.scalars(select(Trade).where(Trade.cycle_id == cycle_id)).one()
            entry = session.scalars(select(Order).where(Order.cl_ord_id == cl_ord_id)).one()
        assert trade.status == "open" and trade.entry_cl_ord_id == cl_ord_id
        assert (trade.entry_px, trade.size) == (sized.price, sized.contracts), "filled at the limit, in full"
        assert (trade.stop_loss, trade.take_profit) == (sized.stop_loss, sized.take_profit)
        assert entry.purpose == "entry" and entry.state == "filled"
        print(f"fill checks: {confirming}")
