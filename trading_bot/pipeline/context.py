"""The brain's view of one cycle: snapshot, account, positions, playbook, recent trades."""

from __future__ import annotations

from trading_bot.brain.envelope import RiskEnvelope
from trading_bot.brain.ports import BrainContext, ResearchOutcome, TradeRecap
from trading_bot.pipeline.cycle import Cycle
from trading_bot.pipeline.ports import Ports
from trading_bot.storage.repos import journal

RECENT_TRADES = 10


def recent_trades(ports: Ports, limit: int = RECENT_TRADES) -> list[TradeRecap]:
    memo = ports.recent_trades
    key = None if memo is None else (memo.closes_journaled(), limit)
    if memo is not None and memo.key == key:
        return list(memo.trades)
    trades = [recap(row) for row in journal.recent_closed(ports.db, limit, ports.run_id)]
    if memo is not None:
        memo.key, memo.trades = key, trades
    return list(trades)


def recap(row: journal.ClosedTradeRow) -> TradeRecap:
    return TradeRecap(
        trade_id=row.id, inst_id=row.instrument, side=row.side,  # type: ignore[arg-type]
        strategy=row.strategy, regime=row.regime, entry_ts=row.entry_ts, entry_px=row.entry_px,
        exit_ts=row.exit_ts, exit_px=row.exit_px, stop_loss=row.stop_loss, take_profit=row.take_profit,
        net_pnl=row.net_pnl, r_multiple=row.r_multiple, close_reason=row.close_reason, confidence=row.confidence,
    )


def brain_context(ports: Ports, cycle: Cycle, research: ResearchOutcome | None = None) -> BrainContext:
    """The account and positions are those COLLECTING read with the snapshot (one reading per
    cycle, as of the market the brain is shown; the risk gate reads its own from the exchange).
    A cycle collected by an older version has none recorded: they are read now."""
    assert cycle.snapshot is not None, "collect runs before any brain stage"
    now = ports.clock.now()
    return BrainContext(
        snapshot=cycle.snapshot,
        now=now,
        playbook=ports.playbooks.current(now),
        account=cycle.account if cycle.account is not None else ports.exchange.account(),
        positions=cycle.positions if cycle.positions is not None else ports.exchange.positions(),
        recent_trades=recent_trades(ports),
        research=research,
        cycle_id=cycle.id,
        manual_trigger=cycle.trigger == "manual",
        limits=RiskEnvelope.from_limits(ports.risk.limits),
    )
