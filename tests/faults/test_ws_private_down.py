"""ws-private (orders, fills, positions → journal) SIGKILLed while the bot holds a position, the
take-profit fills on the venue while nobody listens, and ws-private comes back two market minutes
later. Its REST catch-up must journal the close exactly once: the TP fill in `fills` and on
`trade:fills` once, one `position_closed` on `trade:positions`, the trade closed as take_profit
with the venue's PnL, and the invariants intact.

The take-profit is made to fill with the simulator's `shock` control (a +2 % jump at the next
1-minute bar) rather than waited for. The simulator runs at 10× (one-minute cycles every 6 s)."""

from __future__ import annotations

import json
import signal
import time
from decimal import Decimal
from pathlib import Path

import pytest
from okx.Account import AccountAPI
from sqlalchemy import text

from tests.faults.conftest import PIPELINE, running_bot
from tests.kit import cycle_rows
from tests.kit.fake_trader import FakeTrader
from tests.kit.invariants import okx_data
from tests.kit.waiting import wait_until
from trading_bot.storage.streams import TRADE_POSITIONS, Keys

pytestmark = [pytest.mark.slow, pytest.mark.faults, pytest.mark.timeout(360)]
INST = "BTC-USDT-SWAP"
SPEED, CYCLE_SECONDS = 10, 60
AWAY_MARKET_SECONDS = 120


def tight(sim_url: str) -> FakeTrader:
    return FakeTrader(sim_url, stop_pct=Decimal("0.5"), target_pct=Decimal("0.75"))


def test_ws_private_down_while_the_take_profit_fills(db_url: str, redis_url: str, namespace: str,
                                                     tmp_path: Path) -> None:
    supervised = tuple(role for role in PIPELINE if role != "ws-private")  # the test decides when it is back
    with running_bot(db_url, redis_url, namespace, tmp_path, roles=supervised, trader=tight,
                     SIM_SPEED=str(SPEED), CYCLE_SECONDS=str(CYCLE_SECONDS)) as bot:
        first = bot.stack.start_role("ws-private")
        wait_until(lambda: cycle_rows.filled(bot.db), 150, "an entry to fill", lambda: cycle_rows.describe(bot.db))
        bot.anthropic.responder.entries = False  # type: ignore[attr-defined]  # no new position after this one
        first.signal(signal.SIGKILL)
        first.popen.wait(timeout=10)
        bot.stack.sim_control("shock", instId=INST, pct=2)
        account = bot.stack.okx(AccountAPI)
        wait_until(lambda: not [p for p in okx_data(account.get_positions, instType="SWAP") if p["pos"] != "0"],
                   60, "the take-profit to close the position on the venue")
        time.sleep(AWAY_MARKET_SECONDS / SPEED)
        again = bot.stack.start_role("ws-private")

        def closed() -> list[tuple]:
            with bot.db.session() as session:
                return list(session.execute(text(
                    "SELECT close_reason, net_pnl, fees, exit_px FROM trades WHERE status = 'closed'")).all())

        wait_until(closed, 90, "the close to be journaled", lambda: again.output[-3000:])
        breaks = bot.invariants.all([*bot.run.lines(), *first.lines, *again.lines])
        journaled = closed()
        keys = Keys(bot.stack.settings.redis_namespace)
        closes = [json.loads(fields["data"]) for _, fields in bot.invariants.client.xrange(keys.stream(TRADE_POSITIONS))
                  if fields["type"] == "PositionClosed"]
        equity_change = Decimal(okx_data(account.get_account_balance, ccy="USDT")[0]["totalEq"]) - Decimal("10000")

    print(f"journaled after ws-private came back: {journaled}; venue equity change {equity_change}")
    assert breaks == []
    assert len(journaled) == 1 and journaled[0].close_reason == "take_profit", journaled
    assert journaled[0].net_pnl == equity_change, "the journal's net PnL is what the venue's account moved"
    assert len(closes) == 1 and closes[0]["close_reason"] == "take_profit", closes
