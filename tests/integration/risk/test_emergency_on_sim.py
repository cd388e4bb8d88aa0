"""End to end on the in-process simulator: entries approved by the gate are placed exactly as
checked; a 10 % drawdown makes the bot EMERGENCY_HALTED, and the action list really cancels the
pending entry and closes every position on the venue."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

# The simulator (issue 3) lands on main on its own; until it has, these tests cannot run.
from tests.integration.risk.conftest import Journal  # noqa: E402
from tests.kit.sim import flat_bars, write_candles  # noqa: E402
from trading_bot.clock import parse_iso  # noqa: E402
from trading_bot.domain.decision import Action, Decision  # noqa: E402
from trading_bot.domain.orders import OrderRequest  # noqa: E402
from trading_bot.exchange.sim.inprocess import InProcessExchange  # noqa: E402
from trading_bot.exchange.sim.market import SimMarket  # noqa: E402
from trading_bot.exchange.sim.venue import Venue  # noqa: E402
from trading_bot.risk import emergency  # noqa: E402
from trading_bot.risk.market import InstrumentMarket, MarketView, closed_hourly_closes  # noqa: E402
from trading_bot.risk.service import RiskService  # noqa: E402
from trading_bot.risk.status import BotState  # noqa: E402
from trading_bot.risk.verdict import Rule  # noqa: E402

BTC, ETH = "BTC-USDT-SWAP", "ETH-USDT-SWAP"
START = parse_iso("2026-01-05T06:00:00Z")
D = Decimal


@pytest.fixture
def exchange(tmp_path: Path) -> InProcessExchange:
    files = [str(write_candles(tmp_path / "btc.json", flat_bars(90000.0, 480), "2026-01-05T00:00:00Z", BTC)),
             str(write_candles(tmp_path / "eth.json", flat_bars(3000.0, 480), "2026-01-05T00:00:00Z", ETH))]
    return InProcessExchange(Venue.create(SimMarket.from_files(files), D("10000"), int(START.timestamp() * 1000)))


def _market(exchange: InProcessExchange) -> MarketView:
    views, tickers = {}, {}
    for inst_id in (BTC, ETH):
        tickers[inst_id] = exchange.ticker(inst_id)
        last = tickers[inst_id].last
        views[inst_id] = InstrumentMarket(instrument=exchange.instrument(inst_id), mark_price=last, last_price=last,
                                          closes_1h=closed_hourly_closes(exchange.candles(inst_id, "1H", 120)))
    return MarketView(snapshot_at=exchange.server_time(), cycle_seconds=300, instruments=views,
                      market_data_at={"price": min(t.ts for t in tickers.values())},  # the tickers just read
                      pending_orders=tuple(exchange.pending_orders()))


def _open(risk: RiskService, exchange: InProcessExchange, action: Action, inst_id: str, cl_ord_id: str) -> None:
    price = exchange.ticker(inst_id).last
    sign = 1 if action is Action.OPEN_LONG else -1
    decision = Decision(inst_id=inst_id, action=action, size_pct=D(5), leverage=D(3),
                        stop_loss=price * (1 - sign * D("0.02")), take_profit=price * (1 + sign * D("0.04")))
    verdict = risk.evaluate(decision, exchange.account(), exchange.positions(), _market(exchange))
    assert verdict.approved, verdict.reason
    order = verdict.order
    exchange.set_leverage(inst_id, order.leverage, "isolated")
    exchange.place_order(order.to_request(cl_ord_id, "isolated", net_mode=True))
    sent = exchange.get_order(inst_id, cl_ord_id=cl_ord_id)
    assert (sent.size, sent.sl_trigger_px, sent.tp_trigger_px) == (order.contracts, order.stop_loss, order.take_profit)


def test_drawdown_emergency_halt_closes_everything_on_the_venue(exchange, database, redis_client, keys):
    risk = RiskService(database, redis_client, keys, exchange.clock)
    _open(risk, exchange, Action.OPEN_LONG, BTC, "btc1")
    _open(risk, exchange, Action.OPEN_SHORT, ETH, "eth1")
    exchange.place_order(OrderRequest(inst_id=BTC, side="buy", ord_type="limit", size=D("0.5"), price=D(80000),
                                      td_mode="isolated", cl_ord_id="entry2"))  # an entry still waiting
    exchange.advance_to(START + timedelta(minutes=5))
    assert {p.inst_id for p in exchange.positions()} == {BTC, ETH}
    assert len(exchange.pending_orders()) == 1 and len(exchange.pending_algo_orders()) == 2

    equity = exchange.account().equity  # yesterday the account was worth 12 % more: a 10.7 % drawdown
    Journal(database, exchange.clock).equity(str(equity * D("1.12")), START - timedelta(days=1))
    assert risk.watch(exchange.account()).state is BotState.EMERGENCY_HALTED

    report = emergency.flatten(exchange)
    assert report.flat and not report.failures, report.summary()
    assert [o.action.kind for o in report.outcomes] == [
        "cancel_entry", "close_position", "close_position"] + ["cancel_algo_orders"] * len(report.outcomes[3:])
    assert exchange.positions() == [] and exchange.pending_orders() == [] and exchange.pending_algo_orders() == []
    closes = [f for f in exchange.fills() if f.cl_ord_id not in ("btc1", "eth1")]
    assert {(f.inst_id, f.side) for f in closes} == {(BTC, "sell"), (ETH, "buy")}
    assert exchange.account().equity > equity * D("0.99")  # closed at market: only fees and the spread lost

    blocked = risk.evaluate(Decision(inst_id=BTC, action=Action.OPEN_LONG, size_pct=D(1), leverage=D(1),
                                     stop_loss=D(88000), take_profit=D(95000)),
                            exchange.account(), exchange.positions(), _market(exchange))
    assert blocked.rule is Rule.BOT_STATE
    assert emergency.flatten(exchange).outcomes == []  # nothing left to do: safe to repeat
