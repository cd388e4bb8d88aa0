"""A worker-trade SIGKILLed while its execute task is inside the order placement, the bot halted
(as Telegram's /halt does) before the task is redelivered: the redelivered execute finds the order
placed under its clOrdId and follows it through (its position has the stop-loss and take-profit
the gate approved, the trade is journaled) instead of skipping as halted; no second order leaves.
Real processes: `trading-bot sim` and the worker-trade role; the cycle is prepared in this process
up to the gate."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from okx.Account import AccountAPI
from okx.Trade import TradeAPI
from sqlalchemy import select

from tests.kit.brains import GoLong
from tests.kit.invariants import okx_data
from tests.kit.stack import running_stack
from tests.kit.stack_cycle import INST, cycle_row, finished, killed_inside_placement, outcomes, prepared_for_execute
from tests.kit.waiting import wait_until
from trading_bot.exchange import orders
from trading_bot.risk.status import BotState
from trading_bot.risk.verdict import Verdict
from trading_bot.storage.models import Order, Trade

pytestmark = [pytest.mark.slow]
HOLD_MS = 4000  # the placement is executed at once and answered this much later: the kill lands inside it


def test_an_execute_redelivered_after_a_halt_follows_its_placed_order_through(
        db_url: str, redis_url: str, namespace: str, tmp_path: Path) -> None:
    with running_stack(db_url, redis_url, namespace, tmp_path, CELERY_VISIBILITY_TIMEOUT="30",
                       INSTRUMENTS=INST, CYCLE_SECONDS="300") as stack:
        stack.start_sim()
        stack.start_role("worker-trade")
        ports, cycle_id = prepared_for_execute(stack, GoLong())
        sized = Verdict.model_validate(cycle_row(ports, cycle_id).verdict).order
        assert sized is not None
        cl_ord_id = orders.cl_ord_id_for(cycle_id, "e")

        killed = killed_inside_placement(
            stack, cycle_id, HOLD_MS,
            while_dead=lambda: ports.risk.state.halt("telegram:42", "test: /halt while the entry was on its way"))
        restarted = killed.restarted
        wait_until(lambda: finished(ports, cycle_id) is not None, 120, "the redelivered cycle to finish",
                   lambda: restarted.output[-4000:])

        row = finished(ports, cycle_id)
        assert row is not None and (row.outcome, row.error) == ("filled", None), restarted.output[-3000:]
        assert "Task pipeline.execute[" in restarted.output, "the killed execute task was delivered again"
        assert outcomes(ports, cycle_id, "EXECUTING") == ["placed"]
        assert outcomes(ports, cycle_id, "JOURNALING") == ["trade_opened"]
        assert ports.risk.state.current().state is BotState.HALTED, "following the order through resumed nothing"

        trade_api = stack.okx(TradeAPI)
        mine = [o for o in okx_data(trade_api.get_orders_history, instType="SWAP")
                + okx_data(trade_api.get_order_list, instType="SWAP") if o["clOrdId"] == cl_ord_id]
        assert len(mine) == 1 and mine[0]["state"] == "filled", mine
        (position,) = [p for p in okx_data(stack.okx(AccountAPI).get_positions, instType="SWAP") if p["pos"] != "0"]
        assert Decimal(position["pos"]) == sized.contracts, "one entry's worth, not two"
        algos = [a for kind in ("conditional", "oco")
                 for a in okx_data(trade_api.order_algos_list, ordType=kind, instType="SWAP")]
        protection = [(Decimal(a["slTriggerPx"]), Decimal(a["tpTriggerPx"])) for a in algos
                      if a["instId"] == INST and a["side"] == "sell"]
        assert protection == [(sized.stop_loss, sized.take_profit)], algos

        with ports.db.session() as session:
            trade = session.scalars(select(Trade).where(Trade.cycle_id == cycle_id)).one()
            entries = session.scalars(select(Order).where(Order.cl_ord_id == cl_ord_id)).all()
        assert trade.status == "open" and trade.entry_cl_ord_id == cl_ord_id and trade.size == sized.contracts
        assert (trade.stop_loss, trade.take_profit) == (sized.stop_loss, sized.take_profit)
        assert [(o.cycle_id, o.purpose, o.state) for o in entries] == [(cycle_id, "entry", "filled")]
