"""ws-private against the simulator: an entry fill lands in PostgreSQL and on trade:fills exactly
once (also across a dropped connection and its REST catch-up), and the take-profit close
produces exactly one position_closed whose PnL, fees and funding are the simulator's."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
import redis

from tests.integration.okx.conftest import SIM_START, adapter_for, data_files, endpoints_of
from trading_bot.domain.events import FillEvent, PositionClosed
from trading_bot.domain.orders import Account, OrderRequest
from trading_bot.exchange.orders import cl_ord_id_for, enter
from trading_bot.ingest.private import PrivateFeed
from trading_bot.services import heartbeat
from trading_bot.storage.db import Database
from trading_bot.storage.market_state import get_latest
from trading_bot.storage.repos.account import latest_sample_ts
from trading_bot.storage.repos.fills import count_fills
from trading_bot.storage.repos.positions import closed_positions
from trading_bot.storage.streams import TRADE_FILLS, TRADE_POSITIONS, Keys

pytestmark = [pytest.mark.shared, pytest.mark.slow]
INST = "BTC-USDT-SWAP"
D = Decimal


def entries(client: redis.Redis, keys: Keys, stream: str) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(keys.stream(stream))]


async def until(predicate, timeout: float = 20.0) -> None:  # noqa: ANN001
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_fill_once_and_one_position_closed_on_take_profit(
        shared_dir: Path, database: Database, redis_client: redis.Redis, keys: Keys) -> None:
    from tests.kit.sim import running_sim

    with running_sim(data=data_files(shared_dir), start=SIM_START) as sim:
        exchange = adapter_for(sim)
        feed = PrivateFeed(exchange, database, redis_client, keys, endpoints_of(sim))
        task = asyncio.create_task(feed.run())
        try:
            await until(lambda: redis_client.get(keys.account()) is not None)
            equity_before = exchange.account().equity
            price = exchange.ticker(INST).last
            btc = exchange.instrument(INST)
            entry = OrderRequest(inst_id=INST, side="buy", ord_type="market", size=D("0.5"), td_mode="isolated",
                                 cl_ord_id=cl_ord_id_for("tp1"), sl_trigger_px=btc.round_price(price * D("0.95")),
                                 tp_trigger_px=btc.round_price(price * D("1.002")))
            await asyncio.to_thread(enter, exchange, entry, D(2))
            await until(lambda: count_fills(database, INST) == 1)
            await until(lambda: len(entries(redis_client, keys, TRADE_POSITIONS)) >= 1)

            sim.drop_websockets()  # the reconnect's REST catch-up sees the same fill again
            await until(lambda: feed.ws.stats.connects == 2)
            await asyncio.sleep(0.5)
            assert count_fills(database, INST) == 1 and len(entries(redis_client, keys, TRADE_FILLS)) == 1

            for _ in range(600):
                await asyncio.to_thread(sim.advance, minutes=1)
                if not await asyncio.to_thread(exchange.positions, INST):
                    break
            await until(lambda: any(e["type"] == "PositionClosed" for e in entries(redis_client, keys, TRADE_POSITIONS)))
            await asyncio.sleep(0.3)
            venue_fills = await asyncio.to_thread(exchange.fills, INST)
            equity_after = exchange.account().equity
            await feed.stop()
            await asyncio.wait_for(task, 10)
        finally:
            task.cancel()
            exchange.close()

    fills = [FillEvent.model_validate_json(e["data"]).fill for e in entries(redis_client, keys, TRADE_FILLS)]
    assert sorted(f.trade_id for f in fills) == sorted(f.trade_id for f in venue_fills) and len(fills) == 2
    assert count_fills(database, INST) == 2
    closes = [PositionClosed.model_validate_json(e["data"]) for e in entries(redis_client, keys, TRADE_POSITIONS)
              if e["type"] == "PositionClosed"]
    assert len(closes) == 1
    closed = closes[0]
    closing = [f for f in venue_fills if f.side == "sell"]
    assert closed.realized_pnl == sum(f.pnl for f in closing) and closed.realized_pnl > 0
    assert closed.fees == sum(f.fee for f in venue_fills)
    assert closed.net_pnl == equity_after - equity_before  # the simulator's balance change, to the cent and beyond
    assert (closed.side, closed.size, closed.close_reason) == ("long", D("0.5"), "take_profit")
    assert closed.exit_px == closing[0].price
    assert [c.realized_pnl for c in closed_positions(database, INST)] == [closed.realized_pnl]
    account = get_latest(redis_client, keys.account(), Account)
    assert account is not None and account.equity == equity_after
    assert latest_sample_ts(database) is not None
    assert heartbeat.age_seconds(redis_client, keys, "ws-private") is not None
