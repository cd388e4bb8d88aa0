"""Statistics over a list of closed trades (no equity curve needed).

Conventions:
- A trade *wins* when its net PnL (price PnL + fees + funding) is > 0 and *loses* when < 0; a
  trade with exactly 0 is breakeven: it counts in `trades` (so in the win-rate denominator) and
  interrupts both winning and losing streaks.
- Streaks follow the order in which trades closed (`exit_ts`).
- `gross_loss`, `avg_loss` and `largest_loss` are negative numbers (sums of losing net PnL);
  `profit_factor = gross_profit / |gross_loss|` is None when there is no losing trade.
- Money is Decimal, ratios are float, None means "undefined for these trades" (never 0 or inf).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.backtest.inputs import ZERO, ClosedTrade, by_exit


@dataclass(frozen=True, slots=True)
class TradeStats:
    trades: int
    wins: int
    losses: int
    breakeven: int
    win_rate: float | None  # wins / trades
    net_pnl: Decimal
    price_pnl: Decimal
    fees: Decimal  # signed, negative = paid
    funding: Decimal  # signed, negative = paid
    gross_profit: Decimal  # sum of winning net PnL (≥ 0)
    gross_loss: Decimal  # sum of losing net PnL (≤ 0)
    profit_factor: float | None
    expectancy: Decimal | None  # mean net PnL per trade
    avg_win: Decimal | None
    avg_loss: Decimal | None  # negative
    largest_win: Decimal | None
    largest_loss: Decimal | None  # negative
    payoff_ratio: float | None  # avg_win / |avg_loss|
    max_consecutive_wins: int
    max_consecutive_losses: int
    avg_hold: timedelta | None
    avg_r_multiple: float | None  # over trades that carry an R multiple


def _mean(values: Sequence[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


def _ratio(numerator: Decimal | None, denominator: Decimal | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return float(numerator / abs(denominator))


def streaks(trades: Iterable[ClosedTrade]) -> tuple[int, int]:
    """(longest run of wins, longest run of losses) in closing order."""
    best_win = best_loss = run_win = run_loss = 0
    for trade in by_exit(trades):
        net = trade.net_pnl
        run_win = run_win + 1 if net > 0 else 0
        run_loss = run_loss + 1 if net < 0 else 0
        best_win, best_loss = max(best_win, run_win), max(best_loss, run_loss)
    return best_win, best_loss


def _avg_hold(trades: Sequence[ClosedTrade]) -> timedelta | None:
    if not trades:
        return None
    return sum((t.hold for t in trades), timedelta(0)) / len(trades)


def _avg_r(trades: Sequence[ClosedTrade]) -> float | None:
    values = [t.r_multiple for t in trades if t.r_multiple is not None]
    mean = _mean(values)
    return None if mean is None else float(mean)


def trade_stats(trades: Sequence[ClosedTrade]) -> TradeStats:
    """Counts, sums and ratios of `trades` (any order)."""
    nets = [t.net_pnl for t in trades]
    winners = [n for n in nets if n > 0]
    losers = [n for n in nets if n < 0]
    gross_profit, gross_loss = sum(winners, ZERO), sum(losers, ZERO)
    avg_win, avg_loss = _mean(winners), _mean(losers)
    longest_wins, longest_losses = streaks(trades)
    return TradeStats(
        trades=len(trades),
        wins=len(winners),
        losses=len(losers),
        breakeven=len(nets) - len(winners) - len(losers),
        win_rate=len(winners) / len(trades) if trades else None,
        net_pnl=sum(nets, ZERO),
        price_pnl=sum((t.pnl for t in trades), ZERO),
        fees=sum((t.fees for t in trades), ZERO),
        funding=sum((t.funding for t in trades), ZERO),
        gross_profit=gross_profit,
        gross_loss=gross_loss,
        profit_factor=_ratio(gross_profit, gross_loss),
        expectancy=_mean(nets),
        avg_win=avg_win,
        avg_loss=avg_loss,
        largest_win=max(winners) if winners else None,
        largest_loss=min(losers) if losers else None,
        payoff_ratio=_ratio(avg_win, avg_loss),
        max_consecutive_wins=longest_wins,
        max_consecutive_losses=longest_losses,
        avg_hold=_avg_hold(trades),
        avg_r_multiple=_avg_r(trades),
    )


def grouped_stats(trades: Iterable[ClosedTrade], key: Callable[[ClosedTrade], str]) -> dict[str, TradeStats]:
    """`trade_stats` per group, groups sorted by name."""
    groups: dict[str, list[ClosedTrade]] = defaultdict(list)
    for trade in trades:
        groups[key(trade)].append(trade)
    return {name: trade_stats(groups[name]) for name in sorted(groups)}


def strategy_key(trade: ClosedTrade) -> str:
    return trade.strategy or "unnamed"


def regime_key(trade: ClosedTrade) -> str:
    return trade.regime or "unknown"


def _merged(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in sorted(intervals):
        if finish <= begin:
            continue  # empty, or entirely outside the period
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


def exposure(trades: Iterable[ClosedTrade], start: datetime, end: datetime) -> float | None:
    """Fraction of [start, end] during which at least one position was open (overlaps count once)."""
    if end <= start:
        return None
    clipped = ((max(t.entry_ts, start), min(t.exit_ts, end)) for t in trades)
    covered = sum((finish - begin for begin, finish in _merged(clipped)), timedelta(0))
    return covered / (end - start)
