"""RISK_CHECK: the gate has the last word. It reads the account, every position, pending orders
and the market of every instrument involved, all fresh from the exchange; the snapshot is the one
the analyst saw."""

from __future__ import annotations

from decimal import Decimal

from trading_bot.domain.events import DecisionEvent
from trading_bot.pipeline.collect import flatten_if_open
from trading_bot.pipeline.cycle import Cycle, stage
from trading_bot.pipeline.ports import Ports
from trading_bot.risk.market import MarketView
from trading_bot.risk.status import BotState
from trading_bot.storage.streams import OPUS_DECISIONS

HOURLY_BARS = 101  # 100 returns for the correlation rule


def market_view(ports: Ports, cycle: Cycle, held: set[str]) -> MarketView:
    assert cycle.snapshot is not None
    exchange = ports.exchange
    involved = {cycle.inst_id} | held
    instruments = {inst: exchange.instrument(inst) for inst in involved}
    prices: dict[str, tuple[Decimal, Decimal]] = {}
    for inst in held - {cycle.inst_id}:
        last = exchange.ticker(inst).last
        prices[inst] = (last, last)
    # 1H closes feed only the correlation between two instruments (Candle checked them already)
    hourly = {inst: exchange.candles(inst, "1H", HOURLY_BARS) for inst in involved} if len(involved) > 1 else {}
    return MarketView.from_snapshot(cycle.snapshot, ports.config.cycle_seconds, instruments, prices, hourly,
                                    exchange.pending_orders())


def risk_check(ports: Ports, cycle: Cycle) -> str | None:
    """Returns why the cycle ends here (HOLD, rejection), or None to go on to execution."""
    assert cycle.decision is not None
    with stage(ports.db, cycle, "RISK_CHECK", ports.clock) as run:
        account = ports.exchange.account()
        positions = ports.exchange.positions()
        view = market_view(ports, cycle, {p.inst_id for p in positions})
        cycle.verdict = ports.risk.evaluate(cycle.decision, account, positions, view, cycle.id)
        run.columns.update(verdict=cycle.verdict, approved=cycle.verdict.approved)
        run.detail.update(rule=str(cycle.verdict.rule), reason=cycle.verdict.reason)
        run.outcome = "approved" if cycle.verdict.approved else "rejected"
        ports.events.publish(OPUS_DECISIONS, DecisionEvent(
            cycle_id=cycle.id, decision=cycle.decision, approved=cycle.verdict.approved,
            rule=str(cycle.verdict.rule), ts=ports.clock.now()))
        if not cycle.verdict.approved:
            if ports.risk.state.current().state is BotState.EMERGENCY_HALTED:  # this check escalated
                run.detail["emergency"] = flatten_if_open(ports)
            return "rejected"
        if cycle.decision.action.value == "HOLD":
            return "hold"
    return None
