"""An entry the venue refuses ends its cycle with an outcome, not a failed task (seen in the soak at
720×: the price fell through a long's stop-loss between the gate and the order, the venue answered
51280 and `pipeline.execute` raised). In process over the simulator replaying the real 15m file,
the rules brain, a real PostgreSQL and the real gate."""

from datetime import timedelta
from pathlib import Path

import pytest

from trading_bot.backtest.inprocess import inprocess_ports
from trading_bot.clock import parse_iso, to_ms
from trading_bot.config import Settings, load_settings
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue
from trading_bot.pipeline.collect import start
from trading_bot.pipeline.flow import STEPS, Next, finish
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.storage.db import Database
from trading_bot.storage.repos.cycles import get_cycle

pytestmark = [pytest.mark.shared, pytest.mark.slow]
INST = "BTC-USDT-SWAP"
START = parse_iso("2025-06-01T00:00:00Z")


def test_an_entry_refused_by_the_venue_ends_the_cycle_as_rejected_by_exchange(
        shared_dir: Path, settings: Settings, database: Database) -> None:
    settings = load_settings(database_url=settings.database_dsn().replace("+psycopg", ""), brain_mode="rules",
                             cycle_seconds=900, redis_namespace=settings.redis_namespace)
    data = str(shared_dir / "data" / "okx_BTC-USDT-SWAP_15m_20230101-20260418.feather")
    exchange = InProcessExchange(build_venue(SimSpec(data=[data], start=START, speed=0), START))
    ports = inprocess_ports(settings, exchange, database, "live")
    slot = START
    for _ in range(400):  # the first cycle the gate approves an entry in
        slot += timedelta(minutes=15)
        exchange.advance_to(slot + timedelta(seconds=5))
        cycle = start(ports, INST, cycle_id_for(INST, slot, "live", "beat"), slot, "beat")
        assert cycle is not None
        result, step = Next("collect"), "collect"
        while isinstance(result, Next) and step != "execute":
            step = result.step
            if step == "execute":
                break
            result = STEPS[step](ports, cycle, False)
        if step == "execute" and cycle.verdict is not None and cycle.verdict.order is not None:
            break
        finish(ports, cycle, getattr(result, "outcome", "hold"))
    else:
        pytest.fail("no entry approved in 100 hours of the file")
    order = cycle.verdict.order
    # the market falls (long) or rises (short) through the stop before the order goes out
    pct = -8.0 if order.side == "buy" else 8.0
    exchange.venue.market.shock(INST, exchange.venue.now_ms, pct)
    exchange.advance_to(slot + timedelta(minutes=15, seconds=2))  # the shock starts at the next bar
    assert (exchange.ticker(INST).last < order.stop_loss) if order.side == "buy" else \
        (exchange.ticker(INST).last > order.stop_loss)

    result = STEPS["execute"](ports, cycle, False)
    finish(ports, cycle, result.outcome)
    assert result.outcome == "rejected_by_exchange"
    assert exchange.positions() == [] and exchange.pending_orders() == [] and exchange.pending_algo_orders() == []
    row = get_cycle(database, cycle.id)
    assert row is not None and row.outcome == "rejected_by_exchange" and row.error is None
    executing = [e for e in row.timeline if e["stage"] == "EXECUTING"][-1]
    assert executing["outcome"] == "rejected_by_exchange"
    assert executing["detail"]["code"] in {"51278", "51280"} and "SL trigger price" in executing["detail"]["reason"]
    assert executing["detail"]["rejection"] == "TriggerWrongSide"
    assert to_ms(exchange.server_time()) - to_ms(cycle.verdict.checked_at) < 900_000, "still a fresh verdict"
