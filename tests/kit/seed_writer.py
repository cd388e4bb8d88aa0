"""Write the simulated rows of `seed.py` in foreign-key order in one transaction, resolving the
links to rows whose ids only exist after a flush, and derive the daily performance snapshots
with the project's own metrics (as the pipeline's snapshot task will)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.kit.seed_trading import SimTrade, journal_rows, trade_row
from trading_bot.backtest.equity_stats import equity_stats
from trading_bot.backtest.trade_stats import trade_stats
from trading_bot.storage.db import Database
from trading_bot.storage.models import (
    AccountSnapshot,
    DecisionCycle,
    LlmCall,
    PerformanceSnapshot,
    PlaybookVersion,
    ReflectionLog,
)

if TYPE_CHECKING:
    from tests.kit.seed import SeedSummary

DAY = timedelta(days=1)


@dataclass
class Rows:
    cycles: list[DecisionCycle] = field(default_factory=list)
    calls: list[LlmCall] = field(default_factory=list)
    after_calls: list[Any] = field(default_factory=list)  # screener logs, research, rejections, state events
    playbooks: list[PlaybookVersion] = field(default_factory=list)
    trades: list[SimTrade] = field(default_factory=list)
    reflections: list[tuple[ReflectionLog, SimTrade | None]] = field(default_factory=list)
    links: list[tuple[Any, str, Any]] = field(default_factory=list)  # (row, fk attribute, target row)


def write_rows(db: Database, run_id: str, tag: str, rows: Rows, accounts: list[AccountSnapshot],
               summary: SeedSummary) -> None:
    with db.session() as session:
        for batch in (rows.playbooks, rows.cycles, rows.calls):
            session.add_all(batch)
            session.flush()
        for row, attribute, target in rows.links:
            setattr(row, attribute, target.id)
        session.add_all(rows.after_calls)
        for trade in rows.trades:
            trade.row = trade_row(run_id, trade)
            session.add(trade.row)
        session.flush()
        for number, trade in enumerate(rows.trades):
            session.add_all(journal_rows(run_id, trade, f"{tag}{number:05d}"))
        for log, trade in rows.reflections:
            log.trade_id = trade.row.id if trade is not None and trade.row is not None else None
            session.add(log)
        session.add_all(accounts)
        session.add_all(_daily_performance(run_id, summary))


def _daily_performance(run_id: str, summary: SeedSummary) -> list[PerformanceSnapshot]:
    snapshots = []
    day_end = summary.start + DAY
    cumulative = Decimal(0)
    while day_end <= summary.end:
        closed = [t for t in summary.closed_trades if day_end - DAY <= t.exit_ts < day_end]
        stats = trade_stats(closed)
        cumulative += stats.net_pnl
        curve = [p for p in summary.equity if p.ts <= day_end]
        equity = equity_stats(curve)
        end_equity = curve[-1].equity
        snapshots.append(PerformanceSnapshot(
            run_id=run_id, period="day", ts=day_end, equity=end_equity, realized_pnl=stats.net_pnl,
            cumulative_pnl=cumulative, unrealized_pnl=end_equity - summary.initial_equity - cumulative,
            trades=stats.trades, wins=stats.wins, losses=stats.losses,
            win_rate=_decimal(stats.win_rate), profit_factor=_decimal(stats.profit_factor),
            sharpe=_decimal(equity.sharpe if equity else None),
            max_drawdown_pct=_decimal(equity.max_drawdown.pct if equity else None),
            llm_cost_usd=summary.llm_cost_by_day.get((day_end - DAY).date(), Decimal(0)),
            created_at=day_end,
        ))
        day_end += DAY
    return snapshots


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(repr(round(value, 6)))
