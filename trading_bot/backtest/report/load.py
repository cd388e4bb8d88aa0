"""Load a `ReportData` from the database: one run (`run_id`), optionally limited to [start, end].

What is counted where:
- trades: closed trades of the run whose exit lies in the period; `open_positions` counts the
  run's trades still open at its end;
- equity: `account_snapshots` of the run in the period;
- prices: candles of the run's main instrument (the one with most trades) in the finest stored
  timeframe that keeps the chart under `MAX_PRICE_POINTS` bars, as (close time, close);
- funnel: `decision_cycles` started in the period: all, `screener_signal`, a live decision
  (`action` set, not `shadow`), `approved`, and those with a trade;
- LLM cost: `llm_calls` of the run by UTC day and model, and per closed trade the calls of the
  cycle that opened it (the cost ledger's `cost_per_trade`, whenever those calls were made).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trading_bot.backtest.inputs import ClosedTrade, EquityPoint
from trading_bot.backtest.report.data import Funnel, ReportData
from trading_bot.domain.market import TIMEFRAME_SECONDS, timeframe_delta
from trading_bot.storage.db import Database
from trading_bot.storage.models import AccountSnapshot, Candle, DecisionCycle, LlmCall, Trade
from trading_bot.storage.repos.llm_calls import cost_per_trade_query

MAX_PRICE_POINTS = 4000


class NoReportData(LookupError):
    """The run has nothing to report in the period; the message names the runs that exist."""


def _within(column: Any, start: datetime | None, end: datetime | None) -> list[Any]:
    conditions = []
    if start is not None:
        conditions.append(column >= start)
    if end is not None:
        conditions.append(column <= end)
    return conditions


def _closed_trade(row: Trade) -> ClosedTrade:
    fees, funding = row.fees or Decimal(0), row.funding or Decimal(0)
    if row.realized_pnl is not None:
        pnl = row.realized_pnl
    elif row.net_pnl is not None:
        pnl = row.net_pnl - fees - funding
    else:
        raise ValueError(f"trade {row.id} is closed but has neither realized_pnl nor net_pnl")
    if row.exit_ts is None:
        raise ValueError(f"trade {row.id} is closed but has no exit time")
    return ClosedTrade(
        entry_ts=row.entry_ts, exit_ts=row.exit_ts, pnl=pnl, fees=fees, funding=funding, side=row.side,
        strategy=row.strategy, regime=row.regime, instrument=row.instrument, entry_px=row.entry_px,
        exit_px=row.exit_px, size=row.size, notional=row.notional,
        confidence=float(row.confidence) if row.confidence is not None else None,
        r_multiple=row.r_multiple, trade_id=row.id,
    )


def _trades(session: Session, run_id: str, start: datetime | None, end: datetime | None) -> list[ClosedTrade]:
    query = (select(Trade).where(Trade.run_id == run_id, Trade.status == "closed", *_within(Trade.exit_ts, start, end))
             .order_by(Trade.exit_ts, Trade.id))
    return [_closed_trade(row) for row in session.scalars(query)]


def _equity(session: Session, run_id: str, start: datetime | None, end: datetime | None) -> list[EquityPoint]:
    query = (select(AccountSnapshot.ts, AccountSnapshot.equity)
             .where(AccountSnapshot.run_id == run_id, *_within(AccountSnapshot.ts, start, end))
             .order_by(AccountSnapshot.ts))
    return [EquityPoint(ts, equity) for ts, equity in session.execute(query)]


def _instrument(session: Session, run_id: str, trades: list[ClosedTrade]) -> str | None:
    if trades:
        counts: dict[str, int] = defaultdict(int)
        for trade in trades:
            counts[trade.instrument] += 1
        return max(sorted(counts), key=counts.__getitem__)
    return session.scalar(select(Trade.instrument).where(Trade.run_id == run_id).limit(1)) or \
        session.scalar(select(Candle.instrument).order_by(Candle.instrument).limit(1))


def _prices(session: Session, instrument: str, start: datetime | None,
            end: datetime | None) -> list[tuple[datetime, Decimal]]:
    in_range = [Candle.instrument == instrument, *_within(Candle.ts, start, end)]
    counts = dict(session.execute(select(Candle.timeframe, func.count()).where(*in_range).group_by(Candle.timeframe)).all())
    known = sorted((tf for tf in counts if tf in TIMEFRAME_SECONDS), key=TIMEFRAME_SECONDS.__getitem__)
    if not known:
        return []
    timeframe = next((tf for tf in known if counts[tf] <= MAX_PRICE_POINTS), known[-1])
    step = timeframe_delta(timeframe)
    closing = _within(Candle.ts + step, start, end)  # a bar's close time lies in the period
    query = (select(Candle.ts, Candle.close)
             .where(Candle.instrument == instrument, Candle.timeframe == timeframe, *closing).order_by(Candle.ts))
    return [(ts + step, close) for ts, close in session.execute(query)]


def _funnel(session: Session, run_id: str, start: datetime | None, end: datetime | None) -> Funnel | None:
    cycles = (select(DecisionCycle.id, DecisionCycle.screener_signal, DecisionCycle.shadow, DecisionCycle.action,
                     DecisionCycle.approved)
              .where(DecisionCycle.run_id == run_id, *_within(DecisionCycle.started_at, start, end)).subquery())
    row = session.execute(select(
        func.count(),
        func.count().filter(cycles.c.screener_signal.is_(True)),
        func.count().filter(cycles.c.action.is_not(None), cycles.c.shadow.is_(False)),
        func.count().filter(cycles.c.approved.is_(True)),
    ).select_from(cycles)).one()
    if not row[0]:
        return None
    filled = session.scalar(select(func.count()).select_from(Trade).join(cycles, Trade.cycle_id == cycles.c.id))
    return Funnel(cycles=row[0], screened_in=row[1], analysed=row[2], approved=row[3], filled=int(filled or 0))


def _llm_costs(session: Session, run_id: str, start: datetime | None,
               end: datetime | None) -> dict[date, dict[str, Decimal]]:
    day = func.date(func.timezone("UTC", LlmCall.created_at))
    query = (select(day, LlmCall.model, func.sum(LlmCall.cost_usd))
             .where(LlmCall.run_id == run_id, *_within(LlmCall.created_at, start, end))
             .group_by(day, LlmCall.model).order_by(day, LlmCall.model))
    costs: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for when, model, cost in session.execute(query):
        costs[when][model] = cost
    return dict(costs)


def _llm_cost_by_trade(session: Session, run_id: str, start: datetime | None,
                       end: datetime | None) -> dict[int, Decimal]:
    query = cost_per_trade_query(run_id).where(Trade.status == "closed", *_within(Trade.exit_ts, start, end))
    return {int(trade_id): Decimal(cost) for trade_id, cost in session.execute(query)}


def known_runs(session: Session) -> list[str]:
    runs = select(Trade.run_id).union(select(AccountSnapshot.run_id), select(DecisionCycle.run_id))
    return sorted(session.scalars(runs))


def load_report_data(db: Database, run_id: str = "live", start: datetime | None = None,
                     end: datetime | None = None, instrument: str | None = None) -> ReportData:
    with db.session() as session:
        trades, equity = _trades(session, run_id, start, end), _equity(session, run_id, start, end)
        if not trades and not equity:
            period = f" between {start or '…'} and {end or '…'}" if start or end else ""
            runs = ", ".join(known_runs(session)) or "none"
            raise NoReportData(f"run {run_id!r} has no closed trades and no account snapshots{period} "
                               f"(runs in the database: {runs})")
        main = instrument or _instrument(session, run_id, trades)
        open_count = session.scalar(select(func.count()).select_from(Trade).where(
            Trade.run_id == run_id, Trade.status == "open", *_within(Trade.entry_ts, None, end)))
        notes = [] if len(equity) >= 2 else ["fewer than two account snapshots in the period: "
                                             "return, Sharpe, Sortino, CAGR and drawdown are not available"]
        return ReportData(
            run_id=run_id, source="database", trades=trades, equity=equity,
            prices=_prices(session, main, start, end) if main else [], instrument=main, start=start, end=end,
            open_positions=int(open_count or 0), funnel=_funnel(session, run_id, start, end),
            llm_cost_by_day=_llm_costs(session, run_id, start, end),
            llm_cost_by_trade=_llm_cost_by_trade(session, run_id, start, end), notes=notes,
        )
