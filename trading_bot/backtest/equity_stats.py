"""Statistics over an equity series: return, CAGR, volatility, Sharpe, Sortino, Calmar, drawdown.

Conventions (crypto trades around the clock, so a year is 365 days of 24 hours):
- **Sampling.** Ratios use period returns on a regular UTC grid of length `sample` (default one
  day) aligned to the Unix epoch (days start at 00:00 UTC, hours on the hour). The close of a
  period is the last equity observed at or before its end boundary (an observation exactly at
  00:00 closes the previous day); the first close is the first observation. Periods without an
  observation repeat the previous close (a 0 % return): the account existed and did not move.
- **Annualisation.** `P = 365 days / sample` periods per year (365 for daily, 8,760 for hourly);
  Sharpe, Sortino and volatility scale by `sqrt(P)`.
- **Risk-free rate.** `risk_free_rate` is annual and simple; per period it is `risk_free_rate / P`.
  The default is 0 (paper USDT earns nothing).
- **Sharpe** = (mean(r) − rf_p) / stdev(r) · sqrt(P), sample standard deviation (n − 1).
- **Sortino** = (mean(r) − rf_p) / DD · sqrt(P), with the downside deviation
  DD = sqrt(Σ min(0, r − rf_p)² / n) over all n periods.
- **CAGR** = (E_end / E_start)^(365 days / span) − 1 over the span between the first and last
  observation; None for spans shorter than a day (annualising hours says nothing), −100 % once
  the equity reaches zero.
- **Max drawdown** is measured on every observation (not the sampled grid): the episode with the
  deepest fall below the running peak, in % of that peak, with its peak, trough and recovery times
  and its absolute size; `max_drawdown_amount` is the largest absolute fall anywhere, which can
  belong to another episode.
- **Calmar** = CAGR / max drawdown % (None without a drawdown).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.backtest.inputs import ZERO, EquityPoint, sorted_equity

DAY = timedelta(days=1)
YEAR = timedelta(days=365)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Drawdown:
    pct: float  # (peak − trough) / peak, 0..1
    amount: Decimal  # peak − trough, ≥ 0
    peak_ts: datetime | None
    trough_ts: datetime | None
    recovery_ts: datetime | None  # first time the equity was back at the peak; None = not yet
    peak_equity: Decimal | None
    trough_equity: Decimal | None


NO_DRAWDOWN = Drawdown(0.0, ZERO, None, None, None, None, None)


@dataclass(frozen=True, slots=True)
class EquityStats:
    start: datetime
    end: datetime
    start_equity: Decimal
    end_equity: Decimal
    total_return: float  # E_end / E_start − 1
    cagr: float | None
    volatility: float | None  # annualised standard deviation of period returns
    sharpe: float | None
    sortino: float | None
    calmar: float | None
    max_drawdown: Drawdown
    max_drawdown_amount: Decimal
    periods: int  # number of period returns behind the ratios
    sample: timedelta
    risk_free_rate: float


def periods_per_year(sample: timedelta) -> float:
    if sample <= timedelta(0):
        raise ValueError(f"sample must be positive, got {sample}")
    return YEAR / sample


def _floor(when: datetime, sample: timedelta) -> datetime:
    return EPOCH + ((when - EPOCH) // sample) * sample


def period_closes(points: Sequence[EquityPoint], sample: timedelta = DAY) -> list[Decimal]:
    """The first equity, then the close of every grid period up to the one holding the last point."""
    ordered = sorted_equity(points)
    if not ordered:
        return []
    closes = [ordered[0].equity]
    boundary = _floor(ordered[0].ts, sample)
    index, current = 0, ordered[0].equity
    while boundary < ordered[-1].ts:
        boundary += sample
        while index < len(ordered) and ordered[index].ts <= boundary:
            current = ordered[index].equity
            index += 1
        closes.append(current)
    return closes


def period_returns(points: Sequence[EquityPoint], sample: timedelta = DAY) -> list[float]:
    closes = period_closes(points, sample)
    return [float(after / before - 1) if before else math.nan for before, after in zip(closes, closes[1:], strict=False)]


def sharpe_ratio(returns: Sequence[float], sample: timedelta = DAY, risk_free_rate: float = 0.0) -> float | None:
    if len(returns) < 2:
        return None
    spread = statistics.stdev(returns)
    if spread == 0 or math.isnan(spread):
        return None
    per_year = periods_per_year(sample)
    excess = statistics.fmean(returns) - risk_free_rate / per_year
    return excess / spread * math.sqrt(per_year)


def sortino_ratio(returns: Sequence[float], sample: timedelta = DAY, risk_free_rate: float = 0.0) -> float | None:
    if len(returns) < 2:
        return None
    per_year = periods_per_year(sample)
    target = risk_free_rate / per_year
    downside = math.sqrt(sum(min(0.0, r - target) ** 2 for r in returns) / len(returns))
    if downside == 0 or math.isnan(downside):
        return None
    return (statistics.fmean(returns) - target) / downside * math.sqrt(per_year)


def volatility(returns: Sequence[float], sample: timedelta = DAY) -> float | None:
    if len(returns) < 2:
        return None
    return statistics.stdev(returns) * math.sqrt(periods_per_year(sample))


def cagr(start_equity: Decimal, end_equity: Decimal, span: timedelta) -> float | None:
    if span < DAY or start_equity <= 0:
        return None
    if end_equity <= 0:
        return -1.0
    try:
        growth: float = float(end_equity / start_equity) ** (YEAR / span)
        return growth - 1
    except OverflowError:
        return None  # an astronomically large annualised figure is no information


def drawdown_series(points: Sequence[EquityPoint]) -> list[tuple[datetime, float]]:
    """(ts, fraction below the running peak, 0..1) for every observation."""
    series: list[tuple[datetime, float]] = []
    peak: Decimal | None = None
    for point in sorted_equity(points):
        peak = point.equity if peak is None else max(peak, point.equity)
        series.append((point.ts, float((peak - point.equity) / peak) if peak > 0 else 0.0))
    return series


def max_drawdown(points: Sequence[EquityPoint]) -> tuple[Drawdown, Decimal]:
    """The deepest drawdown episode (by %) and the largest absolute drawdown anywhere."""
    ordered = sorted_equity(points)
    worst, worst_amount = NO_DRAWDOWN, ZERO
    peak: EquityPoint | None = None
    for point in ordered:
        if peak is None or point.equity >= peak.equity:
            peak = point
            continue
        amount = peak.equity - point.equity
        worst_amount = max(worst_amount, amount)
        pct = float(amount / peak.equity) if peak.equity > 0 else 0.0
        if pct > worst.pct:
            worst = Drawdown(pct, amount, peak.ts, point.ts, None, peak.equity, point.equity)
    return _with_recovery(worst, ordered), worst_amount


def _with_recovery(drawdown: Drawdown, ordered: Sequence[EquityPoint]) -> Drawdown:
    if drawdown.trough_ts is None or drawdown.peak_equity is None:
        return drawdown
    for point in ordered:
        if point.ts > drawdown.trough_ts and point.equity >= drawdown.peak_equity:
            return Drawdown(drawdown.pct, drawdown.amount, drawdown.peak_ts, drawdown.trough_ts, point.ts,
                            drawdown.peak_equity, drawdown.trough_equity)
    return drawdown


def equity_stats(points: Sequence[EquityPoint], sample: timedelta = DAY,
                 risk_free_rate: float = 0.0) -> EquityStats | None:
    """All equity statistics; None with fewer than two observations."""
    ordered = sorted_equity(points)
    if len(ordered) < 2:
        return None
    first, last = ordered[0], ordered[-1]
    if first.equity <= 0:
        raise ValueError(f"the equity series must start positive, got {first.equity} at {first.ts.isoformat()}")
    returns = period_returns(ordered, sample)
    deepest, largest_amount = max_drawdown(ordered)
    growth = cagr(first.equity, last.equity, last.ts - first.ts)
    return EquityStats(
        start=first.ts,
        end=last.ts,
        start_equity=first.equity,
        end_equity=last.equity,
        total_return=float(last.equity / first.equity - 1),
        cagr=growth,
        volatility=volatility(returns, sample),
        sharpe=sharpe_ratio(returns, sample, risk_free_rate),
        sortino=sortino_ratio(returns, sample, risk_free_rate),
        calmar=growth / deepest.pct if growth is not None and deepest.pct > 0 else None,
        max_drawdown=deepest,
        max_drawdown_amount=largest_amount,
        periods=len(returns),
        sample=sample,
        risk_free_rate=risk_free_rate,
    )
