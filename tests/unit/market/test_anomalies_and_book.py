"""Anomaly thresholds and severities, and the order-book summary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from trading_bot.domain.market import BookLevel, OrderBook
from trading_bot.market.anomalies import STALE_SECONDS, AnomalyInputs, detect
from trading_bot.market.book import summarize
from trading_bot.market.unavailable import Unavailable
from trading_bot.risk.limits import MAX_MARKET_DATA_AGE_SECONDS

CALM = AnomalyInputs(price_move_pct=0.5, funding_rate=0.0001, oi_change_pct=1.0, volume=10.0, volume_mean=10.0,
                     ticker_age_seconds=2.0, price_age_seconds=2.0)


def _kinds(inputs: AnomalyInputs) -> dict[str, tuple[str, float]]:
    return {a.kind: (a.severity, a.value) for a in detect(inputs)}


def test_a_calm_market_has_no_anomaly() -> None:
    assert detect(CALM) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"price_move_pct": 3.0}, {}),  # thresholds are exclusive
        ({"price_move_pct": -3.01}, {"price_move": ("WARN", -3.01)}),
        ({"price_move_pct": 6.5}, {"price_move": ("CRITICAL", 6.5)}),
        ({"funding_rate": 0.0005}, {}),
        ({"funding_rate": -0.00051}, {"funding_spike": ("WARN", -0.051)}),
        ({"funding_rate": 0.0011}, {"funding_spike": ("CRITICAL", 0.11)}),
        ({"oi_change_pct": 5.0}, {}),
        ({"oi_change_pct": -5.5}, {"oi_change": ("WARN", -5.5)}),
        ({"volume": 30.0}, {}),
        ({"volume": 30.1}, {"volume_spike": ("WARN", 3.01)}),
        ({"volume": 61.0}, {"volume_spike": ("CRITICAL", 6.1)}),
        ({"ticker_age_seconds": 60.0}, {}),
        ({"ticker_age_seconds": 61.0}, {"stale_data": ("WARN", 61.0)}),
        ({"ticker_age_seconds": 301.0}, {"stale_data": ("CRITICAL", 301.0)}),
        ({"ticker_age_seconds": None, "price_age_seconds": 42.0}, {"stale_data": ("CRITICAL", 42.0)}),
        ({"book_age_seconds": 60.0}, {}),
        ({"book_age_seconds": 61.0}, {"stale_data": ("WARN", 61.0)}),
        ({"ticker_age_seconds": 90.0, "book_age_seconds": 400.0}, {"stale_data": ("CRITICAL", 400.0)}),
        ({"price_move_pct": None, "funding_rate": None, "oi_change_pct": None, "volume_mean": None}, {}),
    ],
)
def test_thresholds_and_severities(change: dict, expected: dict) -> None:
    found = _kinds(_replace(change))
    assert {kind: (sev, pytest.approx(value)) for kind, (sev, value) in found.items()} == expected


def test_stale_data_names_the_older_of_ticker_and_book_at_the_gates_bound() -> None:
    assert STALE_SECONDS == MAX_MARKET_DATA_AGE_SECONDS  # the alert says when the gate starts refusing entries
    [stale] = detect(_replace({"ticker_age_seconds": 70.0, "book_age_seconds": 75.4}))
    assert (stale.message, stale.value, stale.threshold) == ("no order book for 75 s", 75.4, 60.0)
    [tie] = detect(_replace({"ticker_age_seconds": 90.0, "book_age_seconds": 90.0}))
    assert tie.message == "no ticker for 90 s"


def _replace(change: dict) -> AnomalyInputs:
    fields = {name: getattr(CALM, name) for name in CALM.__slots__}
    return AnomalyInputs(**{**fields, **change})


def _book(bids: list[tuple[str, str]], asks: list[tuple[str, str]]) -> OrderBook:
    def levels(rows: list[tuple[str, str]]) -> list[BookLevel]:
        return [BookLevel(price=Decimal(p), size=Decimal(s)) for p, s in rows]

    return OrderBook(inst_id="BTC-USDT-SWAP", bids=levels(bids), asks=levels(asks), ts=datetime(2026, 1, 5, tzinfo=UTC))


def test_book_summary_spread_and_imbalance_of_the_top_five_levels() -> None:
    bids = [("99.9", "10"), ("99.8", "5"), ("99.7", "5"), ("99.6", "5"), ("99.5", "5"), ("99.4", "1000")]
    asks = [("100.1", "2"), ("100.2", "3"), ("100.3", "5")]
    summary = summarize(_book(bids, asks))
    assert not isinstance(summary, Unavailable)
    assert (summary.best_bid, summary.best_ask, summary.spread) == (Decimal("99.9"), Decimal("100.1"), Decimal("0.2"))
    assert summary.spread_bps == pytest.approx(20.0)  # 0.2 / mid 100
    assert (summary.bid_depth, summary.ask_depth) == (Decimal(30), Decimal(10))
    assert summary.imbalance == pytest.approx(0.5)  # (30 − 10) / 40


def test_book_summary_refuses_empty_or_crossed_books() -> None:
    assert summarize(_book([], [("1", "1")])) == Unavailable("the order book has no bid levels")
    crossed = summarize(_book([("101", "1")], [("100", "1")]))
    assert isinstance(crossed, Unavailable) and "crossed" in crossed.reason
