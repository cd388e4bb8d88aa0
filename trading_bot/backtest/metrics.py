"""Performance metrics of a run: the one implementation behind the report, the backtest summary,
Telegram's /performance and the periodic performance snapshots.

Pure functions over plain inputs: a sequence of `ClosedTrade` and a sequence of `EquityPoint`
(see `inputs.py`); no database, no clock. Conventions are stated where they are computed:
`trade_stats.py` (wins, streaks, profit factor, expectancy, exposure) and `equity_stats.py`
(sampling, annualisation with 365-day years, risk-free rate, Sharpe, Sortino, CAGR, Calmar,
drawdown). Money is Decimal, ratios and fractions are float (0.05 = 5 %), None means undefined.

    metrics = compute_metrics(trades, equity, prices=closes)   # prices: optional buy-and-hold
    metrics.trades.win_rate, metrics.equity.sharpe, metrics.by_strategy["trend"].profit_factor
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from trading_bot.backtest.equity_stats import (
    DAY,
    Drawdown,
    EquityStats,
    drawdown_series,
    equity_stats,
    period_returns,
)
from trading_bot.backtest.inputs import ClosedTrade, EquityPoint, equity_from_trades, sorted_equity
from trading_bot.backtest.trade_stats import (
    TradeStats,
    exposure,
    grouped_stats,
    regime_key,
    strategy_key,
    trade_stats,
)

__all__ = [
    "ClosedTrade", "Drawdown", "EquityPoint", "EquityStats", "Metrics", "TradeStats", "buy_and_hold",
    "compute_metrics", "drawdown_series", "equity_from_trades", "equity_stats", "period_returns",
    "to_jsonable", "trade_stats",
]


@dataclass(frozen=True, slots=True)
class Metrics:
    start: datetime | None  # the period the metrics cover
    end: datetime | None
    trades: TradeStats  # all closed trades
    equity: EquityStats | None  # None with fewer than two equity observations
    exposure: float | None  # fraction of [start, end] with a position open
    by_strategy: dict[str, TradeStats]  # "unnamed" for trades without a strategy
    by_regime: dict[str, TradeStats]  # "unknown" for trades without a regime
    buy_and_hold: EquityStats | None  # the instrument held over the same period, when prices are given


def _period(trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint],
            start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Explicit bounds win; else the equity series' span; else the trades' span."""
    if equity:
        start = start or equity[0].ts
        end = end or equity[-1].ts
    elif trades:
        start = start or min(t.entry_ts for t in trades)
        end = end or max(t.exit_ts for t in trades)
    return start, end


def buy_and_hold(prices: Sequence[tuple[datetime, Decimal]], initial_equity: Decimal,
                 sample: timedelta = DAY, risk_free_rate: float = 0.0) -> EquityStats | None:
    """Equity statistics of holding `initial_equity` worth of the instrument from the first to the
    last price (1× long, no fees, no funding, no rebalancing)."""
    ordered = sorted(prices)
    if not ordered:
        return None
    first_price = ordered[0][1]
    if first_price <= 0:
        raise ValueError(f"buy-and-hold needs a positive first price, got {first_price}")
    curve = [EquityPoint(ts, initial_equity * price / first_price) for ts, price in ordered]
    return equity_stats(curve, sample, risk_free_rate)


def compute_metrics(trades: Sequence[ClosedTrade], equity: Sequence[EquityPoint], *,
                    prices: Sequence[tuple[datetime, Decimal]] | None = None, sample: timedelta = DAY,
                    risk_free_rate: float = 0.0, start: datetime | None = None,
                    end: datetime | None = None) -> Metrics:
    """Every metric of one run. `trades` are the closed trades to count (the caller selects them);
    `equity` is the account's equity series; `prices` (ts, close) enable the buy-and-hold
    comparison (clipped to the period, started with the run's first equity); `start`/`end` bound
    the period (default: the equity series' span, else the trades' span)."""
    ordered = sorted_equity(equity)
    period_start, period_end = _period(trades, ordered, start, end)
    stats = equity_stats(ordered, sample, risk_free_rate)
    benchmark = None
    if prices and ordered:
        inside = [(ts, px) for ts, px in prices
                  if (period_start is None or ts >= period_start) and (period_end is None or ts <= period_end)]
        benchmark = buy_and_hold(inside, ordered[0].equity, sample, risk_free_rate)
    return Metrics(
        start=period_start,
        end=period_end,
        trades=trade_stats(trades),
        equity=stats,
        exposure=exposure(trades, period_start, period_end) if period_start and period_end else None,
        by_strategy=grouped_stats(trades, strategy_key),
        by_regime=grouped_stats(trades, regime_key),
        buy_and_hold=benchmark,
    )


def to_jsonable(value: Any) -> Any:
    """Metrics as JSON-ready data: Decimal → str (exact), datetime → ISO-8601, timedelta → seconds."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value
