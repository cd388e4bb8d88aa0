"""Hourly, daily and weekly performance snapshots (`performance_snapshots`), computed with the
same metrics module as the report and the backtest."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.dialects.postgresql import insert

from trading_bot.backtest.metrics import compute_metrics
from trading_bot.backtest.report.load import NoReportData, load_report_data
from trading_bot.domain.orders import Account
from trading_bot.storage.db import Database
from trading_bot.storage.models import PerformanceSnapshot
from trading_bot.storage.repos.llm_calls import cost_between

PERIODS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 8)))


def snapshot_performance(db: Database, account: Account, period: str, now: datetime, run_id: str = "live") -> bool:
    """Write one row for the period ending at `now`; False if that row exists already."""
    span = PERIODS[period]
    try:
        everything = load_report_data(db, run_id, end=now)
        trades_all, equity_all = everything.trades, everything.equity
    except NoReportData:
        trades_all, equity_all = [], []
    start = now - span
    in_period = [t for t in trades_all if t.exit_ts > start]
    period_metrics = compute_metrics(in_period, [p for p in equity_all if p.ts > start], start=start, end=now)
    overall = compute_metrics(trades_all, equity_all)
    stats = period_metrics.trades
    values = dict(
        run_id=run_id, period=period, ts=now, equity=account.equity,
        realized_pnl=stats.net_pnl, cumulative_pnl=overall.trades.net_pnl, unrealized_pnl=account.upl,
        trades=stats.trades, wins=stats.wins, losses=stats.losses, win_rate=_decimal(stats.win_rate),
        profit_factor=_decimal(stats.profit_factor),
        sharpe=_decimal(overall.equity.sharpe) if overall.equity else None,
        max_drawdown_pct=_decimal(overall.equity.max_drawdown.pct * 100) if overall.equity else None,
        llm_cost_usd=cost_between(db, start, now, run_id),
    )
    stmt = insert(PerformanceSnapshot).values(values).on_conflict_do_nothing().returning(PerformanceSnapshot.id)
    with db.session() as session:
        return session.execute(stmt).first() is not None
