"""The metrics module against values computed by hand on a constructed run.

The run: six trades over 2026-01-01..05 and a daily equity series with one intraday low. Every
expected number below is derived in the comment beside it (arithmetic done on paper and checked
with a calculator), not by calling the code under test.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from trading_bot.backtest.equity_stats import period_closes
from trading_bot.backtest.metrics import (
    ClosedTrade,
    EquityPoint,
    buy_and_hold,
    compute_metrics,
    drawdown_series,
    equity_from_trades,
    equity_stats,
    to_jsonable,
    trade_stats,
)
from trading_bot.backtest.trade_stats import exposure


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def trade(entry: datetime, exit_: datetime, pnl: str, fees: str = "0", funding: str = "0", strategy: str = "",
          regime: str | None = None, r: str | None = None) -> ClosedTrade:
    return ClosedTrade(entry_ts=entry, exit_ts=exit_, pnl=D(pnl), fees=D(fees), funding=D(funding),
                       strategy=strategy, regime=regime, r_multiple=D(r) if r else None)


TRADES = [
    trade(t(1), t(1, 12), "100", "-2", "-1", "trend", "trending_up", "1.5"),  # net +97
    trade(t(2), t(2, 6), "-50", "-2", "0", "trend", "trending_up", "-1"),  # net -52
    trade(t(2, 3), t(2, 9), "30", "-1", "1", "mean_reversion", "ranging", "0.5"),  # net +30, overlaps the one above
    trade(t(3), t(3, 1), "0", "0", "0", "mean_reversion", "ranging"),  # breakeven
    trade(t(4), t(4, 12), "-20", "-1", "0", "trend", None),  # net -21
    trade(t(5), t(5, 6), "-10", "-1", "0", "", "volatile"),  # net -11
]

EQUITY = [
    EquityPoint(t(1), D("10000")),
    EquityPoint(t(2), D("10100")),
    EquityPoint(t(3), D("9990")),
    EquityPoint(t(3, 12), D("9900")),  # the intraday low: deepest point, invisible to daily closes
    EquityPoint(t(4), D("10200")),
    EquityPoint(t(5), D("10150")),
    EquityPoint(t(6), D("10300")),
]


def test_trade_counts_sums_and_ratios() -> None:
    stats = trade_stats(TRADES)
    assert (stats.trades, stats.wins, stats.losses, stats.breakeven) == (6, 2, 3, 1)
    assert stats.win_rate == pytest.approx(2 / 6)
    assert stats.net_pnl == D("43")  # 97 − 52 + 30 + 0 − 21 − 11
    assert stats.price_pnl == D("50")  # 100 − 50 + 30 + 0 − 20 − 10
    assert stats.fees == D("-7") and stats.funding == D("0")
    assert stats.gross_profit == D("127") and stats.gross_loss == D("-84")
    assert stats.profit_factor == pytest.approx(1.5119047619, rel=1e-9)  # 127 / 84
    assert stats.expectancy == D("43") / 6  # 7.1666…
    assert stats.avg_win == D("63.5") and stats.avg_loss == D("-28")
    assert stats.payoff_ratio == pytest.approx(2.2678571429, rel=1e-9)  # 63.5 / 28
    assert stats.largest_win == D("97") and stats.largest_loss == D("-52")
    # closing order W L W (0) L L: longest winning run 1, losing run 2 (the breakeven splits nothing here)
    assert (stats.max_consecutive_wins, stats.max_consecutive_losses) == (1, 2)
    assert stats.avg_hold == timedelta(hours=43) / 6  # 12 + 6 + 6 + 1 + 12 + 6 hours
    assert stats.avg_r_multiple == pytest.approx(1 / 3)  # (1.5 − 1 + 0.5) / 3, trades without R ignored


def test_breakeven_interrupts_streaks_and_order_is_by_exit() -> None:
    losses = [trade(t(1, h), t(1, h + 1), "-1") for h in (0, 2)]
    flat = trade(t(1, 4), t(1, 5), "0")
    late_loss = trade(t(1, 6), t(1, 7), "-1")
    early_loss_closed_last = trade(t(1, 0, 30), t(1, 23), "-1")
    stats = trade_stats([late_loss, flat, *losses, early_loss_closed_last])
    assert stats.max_consecutive_losses == 2  # L L (0) L L: two runs of two
    assert stats.max_consecutive_wins == 0


def test_undefined_ratios_are_none_not_zero_or_infinite() -> None:
    winners_only = trade_stats([trade(t(1), t(1, 1), "5")])
    assert winners_only.profit_factor is None and winners_only.payoff_ratio is None
    assert winners_only.avg_loss is None and winners_only.largest_loss is None
    empty = trade_stats([])
    assert empty.trades == 0 and empty.win_rate is None and empty.expectancy is None
    assert empty.avg_hold is None and empty.net_pnl == D(0)


def test_exposure_counts_overlaps_once() -> None:
    # 12 h + (00:00–09:00 on the 2nd, two overlapping trades) 9 h + 1 h + 12 h + 6 h = 40 h of 120 h
    assert exposure(TRADES, t(1), t(6)) == pytest.approx(40 / 120)
    # clipped to the 2nd 04:00 – 3rd 00:00 (20 h): 04:00–09:00 = 5 h
    assert exposure(TRADES, t(2, 4), t(3)) == pytest.approx(5 / 20)
    assert exposure(TRADES, t(6), t(6)) is None


def test_daily_closes_returns_sharpe_sortino() -> None:
    # Daily closes: the observation at 00:00 closes the previous day; the 9,900 low at 12:00 on the
    # 3rd is followed by 10,200 at the 4th 00:00, which closes that day.
    assert period_closes(EQUITY) == [D(x) for x in ("10000", "10100", "9990", "10200", "10150", "10300")]
    stats = equity_stats(EQUITY)
    assert stats is not None and stats.periods == 5
    # returns: +1 %, −1.0891089 %, +2.1021021 %, −0.4901961 %, +1.4778325 %
    # mean 0.00600124, sample stdev 0.01344302; Sharpe = mean / stdev · √365 = 8.52892
    assert stats.sharpe == pytest.approx(8.528923, rel=1e-6)
    # downside deviation √((0.010891089² + 0.004901961²) / 5) = 0.00534132; Sortino = 21.46572
    assert stats.sortino == pytest.approx(21.465721, rel=1e-6)
    assert stats.volatility == pytest.approx(0.256827, rel=1e-5)  # 0.01344302 · √365


def test_return_cagr_drawdown_calmar() -> None:
    stats = equity_stats(EQUITY)
    assert stats is not None
    assert stats.total_return == pytest.approx(0.03)
    assert stats.cagr == pytest.approx(1.03 ** (365 / 5) - 1)  # 5 days annualised: 7.652
    dd = stats.max_drawdown
    # peak 10,100 (2nd 00:00) → trough 9,900 (3rd 12:00): 200 / 10,100 = 1.980198 %, recovered at the 4th
    assert dd.pct == pytest.approx(200 / 10100)
    assert dd.amount == D("200") and stats.max_drawdown_amount == D("200")
    assert (dd.peak_ts, dd.trough_ts, dd.recovery_ts) == (t(2), t(3, 12), t(4))
    assert (dd.peak_equity, dd.trough_equity) == (D("10100"), D("9900"))
    assert stats.calmar == pytest.approx((1.03 ** 73 - 1) / (200 / 10100))


def test_deepest_percentage_and_largest_amount_can_differ() -> None:
    points = [EquityPoint(t(1), D("100")), EquityPoint(t(2), D("50")),  # −50 % (50 USDT)
              EquityPoint(t(3), D("1000")), EquityPoint(t(4), D("900"))]  # −10 % (100 USDT), not recovered
    stats = equity_stats(points)
    assert stats is not None
    assert stats.max_drawdown.pct == pytest.approx(0.5) and stats.max_drawdown.amount == D("50")
    assert stats.max_drawdown.recovery_ts == t(3)
    assert stats.max_drawdown_amount == D("100")
    assert [round(x, 6) for _, x in drawdown_series(points)] == [0.0, 0.5, 0.0, 0.1]


def test_risk_free_rate_and_hourly_sampling() -> None:
    stats = equity_stats(EQUITY, risk_free_rate=0.0365)  # 0.01 % per day
    assert stats is not None
    assert stats.sharpe == pytest.approx((0.00600124 - 0.0001) / 0.01344302 * math.sqrt(365), rel=1e-5)
    hourly = [EquityPoint(t(1, h), D(v)) for h, v in ((0, "100"), (1, "101"), (3, "99.99"))]
    # grid 00:00 → 01:00 → 02:00 (no point: carried) → 03:00: closes 100, 101, 101, 99.99
    assert period_closes(hourly, timedelta(hours=1)) == [D("100"), D("101"), D("101"), D("99.99")]
    h_stats = equity_stats(hourly, sample=timedelta(hours=1))
    assert h_stats is not None and h_stats.periods == 3
    returns = [0.01, 0.0, 99.99 / 101 - 1]
    mean = sum(returns) / 3
    stdev = math.sqrt(sum((r - mean) ** 2 for r in returns) / 2)
    assert h_stats.sharpe == pytest.approx(mean / stdev * math.sqrt(8760), rel=1e-9)
    assert h_stats.cagr is None  # three hours are not annualised


def test_unaligned_first_observation_starts_the_first_period() -> None:
    points = [EquityPoint(t(1, 15), D("200")), EquityPoint(t(1, 20), D("210")), EquityPoint(t(2, 6), D("220"))]
    assert period_closes(points) == [D("200"), D("210"), D("220")]  # start, 1st's close, 2nd's close


def test_flat_or_short_series_gives_none_ratios() -> None:
    flat = [EquityPoint(t(d), D("100")) for d in (1, 2, 3)]
    stats = equity_stats(flat)
    assert stats is not None and stats.sharpe is None and stats.sortino is None and stats.calmar is None
    assert stats.max_drawdown.pct == 0 and stats.max_drawdown.peak_ts is None
    assert equity_stats(flat[:1]) is None
    rising = [EquityPoint(t(d), D(100 + d)) for d in (1, 2, 3)]
    assert equity_stats(rising).sortino is None  # type: ignore[union-attr]  # no downside at all


def test_ruin_gives_minus_hundred_percent_cagr() -> None:
    stats = equity_stats([EquityPoint(t(1), D("100")), EquityPoint(t(3), D("0"))])
    assert stats is not None and stats.cagr == -1.0 and stats.max_drawdown.pct == 1.0


def test_buy_and_hold_over_the_period() -> None:
    prices = [(t(1), D("40000")), (t(2), D("42000")), (t(3), D("39900")), (t(4), D("44000"))]
    stats = buy_and_hold(prices, D("10000"))
    assert stats is not None
    assert stats.end_equity == D("11000") and stats.total_return == pytest.approx(0.1)
    # 42,000 → 39,900 is −5 % of the 10,500 peak: 525 USDT
    assert stats.max_drawdown.pct == pytest.approx(0.05) and stats.max_drawdown.amount == D("525")


def test_compute_metrics_puts_it_together() -> None:
    prices = [(t(d), D(p)) for d, p in ((1, "40000"), (3, "41000"), (6, "44000"), (9, "1"))]
    metrics = compute_metrics(TRADES, EQUITY, prices=prices)
    assert (metrics.start, metrics.end) == (t(1), t(6))
    assert metrics.trades.net_pnl == D("43")
    assert metrics.exposure == pytest.approx(40 / 120)
    assert metrics.equity is not None and metrics.equity.total_return == pytest.approx(0.03)
    assert list(metrics.by_strategy) == ["mean_reversion", "trend", "unnamed"]
    assert metrics.by_strategy["trend"].net_pnl == D("24")  # 97 − 52 − 21
    assert metrics.by_strategy["mean_reversion"].trades == 2
    assert {k: v.net_pnl for k, v in metrics.by_regime.items()} == {
        "ranging": D("30"), "trending_up": D("45"), "unknown": D("-21"), "volatile": D("-11")}
    assert metrics.buy_and_hold is not None  # the price on the 9th lies outside the period
    assert metrics.buy_and_hold.total_return == pytest.approx(0.1)
    assert metrics.buy_and_hold.start_equity == D("10000")


def test_metrics_without_equity_use_the_trades_span() -> None:
    metrics = compute_metrics(TRADES, [])
    assert metrics.equity is None and (metrics.start, metrics.end) == (t(1), t(5, 6))
    assert metrics.exposure == pytest.approx(40 / (4 * 24 + 6))


def test_equity_from_trades_steps_at_each_exit() -> None:
    curve = equity_from_trades(TRADES, D("1000"), t(1))
    assert [p.equity for p in curve] == [D(x) for x in ("1000", "1097", "1045", "1075", "1075", "1054", "1043")]
    assert curve[1].ts == t(1, 12)
    with pytest.raises(ValueError, match="before the start"):
        equity_from_trades(TRADES, D("1000"), t(2))


def test_to_jsonable_is_exact_and_serialisable() -> None:
    data = to_jsonable(compute_metrics(TRADES, EQUITY))
    text = json.dumps(data)
    assert json.loads(text)["trades"]["net_pnl"] == "43"
    assert data["trades"]["avg_hold"] == pytest.approx(43 * 3600 / 6)
    assert data["equity"]["max_drawdown"]["trough_ts"] == "2026-01-03T12:00:00+00:00"


@pytest.mark.parametrize("bad", [
    lambda: ClosedTrade(entry_ts=datetime(2026, 1, 1), exit_ts=t(1), pnl=D(1)),
    lambda: ClosedTrade(entry_ts=t(2), exit_ts=t(1), pnl=D(1)),
    lambda: ClosedTrade(entry_ts=t(1), exit_ts=t(2), pnl=D(1), side="buy"),
    lambda: equity_stats([EquityPoint(t(1), D(1)), EquityPoint(t(1), D(2))]),
    lambda: equity_stats([EquityPoint(t(1), D(0)), EquityPoint(t(2), D(2))]),
])
def test_bad_inputs_are_refused(bad) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        bad()
