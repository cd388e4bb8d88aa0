"""Metrics and report at backtest scale: the whole 15m history of issue 11 is 115,506 bars, so
an equity point per bar and a few thousand trades. Prints the wall time of `compute_metrics`
(with buy-and-hold) and of `generate_report` from lists (charts + HTML, no database), and the
process's peak resident memory."""

from __future__ import annotations

import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from trading_bot.backtest.metrics import ClosedTrade, EquityPoint, compute_metrics
from trading_bot.backtest.report import Funnel, ReportData, generate_report

BARS = 115_506
TRADES = 4_000
BAR = timedelta(minutes=15)
START = datetime(2023, 1, 1, tzinfo=UTC)


def _history(rng: random.Random) -> tuple[list[EquityPoint], list[tuple[datetime, Decimal]], list[ClosedTrade]]:
    equity, prices = [], []
    value, price = 10_000.0, 16_500.0
    for index in range(BARS):
        value *= 1 + rng.gauss(0.00002, 0.0008)
        price *= 1 + rng.gauss(0.00002, 0.003)
        ts = START + index * BAR
        equity.append(EquityPoint(ts, Decimal(f"{value:.4f}")))
        prices.append((ts + BAR, Decimal(f"{price:.1f}")))
    trades = []
    for number in range(TRADES):
        entry = START + rng.randrange(BARS - 40) * BAR
        trades.append(ClosedTrade(
            entry_ts=entry, exit_ts=entry + rng.randint(1, 40) * BAR, pnl=Decimal(f"{rng.gauss(0.5, 8):.4f}"),
            fees=Decimal("-0.4"), funding=Decimal(f"{rng.gauss(0, 0.05):.4f}"), side=rng.choice(("long", "short")),
            strategy=rng.choice(("trend_following", "mean_reversion", "breakout")),
            regime=rng.choice(("trending_up", "trending_down", "ranging", "volatile")), instrument="BTC-USDT-SWAP",
            entry_px=Decimal("30000"), exit_px=Decimal("30100"), confidence=round(rng.uniform(0.4, 0.95), 2),
            r_multiple=Decimal(f"{rng.gauss(0.1, 1):.4f}"), trade_id=number,
        ))
    return equity, prices, trades


def main() -> None:
    equity, prices, trades = _history(random.Random(11))
    print(f"input: {len(equity):,} equity points, {len(prices):,} prices, {len(trades):,} trades")
    started = time.perf_counter()
    metrics = compute_metrics(trades, equity, prices=prices)
    metrics_seconds = time.perf_counter() - started
    data = ReportData(run_id="bench", source="backtest", trades=trades, equity=equity, prices=prices,
                      instrument="BTC-USDT-SWAP", funnel=Funnel(BARS, 40_000, 39_000, 5_000, TRADES))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        files = generate_report(data, Path(tmp), generated_at=datetime.now(UTC))
        report_seconds = time.perf_counter() - started
        html_mb = files.html.stat().st_size / 1e6
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    assert metrics.equity is not None
    print(f"compute_metrics: {metrics_seconds:.2f} s (Sharpe {metrics.equity.sharpe:.2f}, "
          f"{metrics.trades.trades:,} trades)")
    print(f"generate_report: {report_seconds:.2f} s, report.html {html_mb:.1f} MB")
    print(f"peak resident memory of the process: {peak_mb:.0f} MB")
