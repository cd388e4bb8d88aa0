"""Candle batching (closed bars win over forming ones) and gap detection."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.domain.market import Candle
from trading_bot.ingest.candles import CandleKey, GapTracker, channel_timeframe, merge

T0 = datetime(2026, 1, 5, 12, tzinfo=UTC)
STEP = timedelta(minutes=15)


def bar(ts: datetime, close: str, confirmed: bool) -> Candle:
    px = Decimal(close)
    return Candle(inst_id="BTC-USDT-SWAP", timeframe="15m", ts=ts, open=px, high=px, low=px, close=px,
                  volume=Decimal(1), volume_ccy=Decimal("0.01"), volume_quote=px / 100, confirmed=confirmed)


def test_channel_names() -> None:
    assert [channel_timeframe(c) for c in ("candle15m", "candle1H", "candle4H")] == ["15m", "1H", "4H"]


def test_forming_updates_replace_each_other_but_never_a_closed_bar() -> None:
    batch: dict[CandleKey, Candle] = {}
    merge(batch, bar(T0, "100", False))
    merge(batch, bar(T0, "101", False))
    assert batch[("BTC-USDT-SWAP", "15m", T0)].close == Decimal("101")
    merge(batch, bar(T0, "102", True))
    merge(batch, bar(T0, "99", False))  # a late forming push of the same bar
    assert batch[("BTC-USDT-SWAP", "15m", T0)].close == Decimal("102")
    assert batch[("BTC-USDT-SWAP", "15m", T0)].confirmed


def test_gap_reported_when_a_new_bar_starts_and_the_previous_was_never_seen_closed() -> None:
    gaps: list[tuple[str, str, datetime | None]] = []
    tracker = GapTracker(on_gap=lambda inst, tf, since: gaps.append((inst, tf, since)))
    tracker.reset("BTC-USDT-SWAP", "15m", T0)  # the backfill stored T0 closed
    tracker.seen(bar(T0 + STEP, "1", False))
    tracker.seen(bar(T0 + STEP, "2", True))
    tracker.seen(bar(T0 + 2 * STEP, "3", False))  # previous bar was seen closed: no gap
    assert gaps == []
    tracker.seen(bar(T0 + 4 * STEP, "4", False))  # T0+2 and T0+3 never seen closed
    assert gaps == [("BTC-USDT-SWAP", "15m", T0 + STEP)]


def test_first_push_without_history_is_a_gap_from_nothing() -> None:
    gaps: list[tuple[str, str, datetime | None]] = []
    tracker = GapTracker(on_gap=lambda inst, tf, since: gaps.append((inst, tf, since)))
    tracker.seen(bar(T0, "1", False))
    tracker.seen(bar(T0 + STEP, "1", False))
    assert gaps == [("BTC-USDT-SWAP", "15m", None)]


def test_a_closed_bar_arriving_after_a_hole_still_reports_the_hole() -> None:
    # After a reconnect the first push can be a bar that closed meanwhile (confirm "1"): the bars
    # between it and the last one seen closed are missing all the same.
    gaps: list[tuple[str, str, datetime | None]] = []
    tracker = GapTracker(on_gap=lambda inst, tf, since: gaps.append((inst, tf, since)))
    tracker.reset("BTC-USDT-SWAP", "15m", T0)
    tracker.seen(bar(T0 + STEP, "1", False))  # forming when the connection dropped
    tracker.seen(bar(T0 + 5 * STEP, "2", True))  # T0+1 … T0+4 were never seen closed
    tracker.seen(bar(T0 + 6 * STEP, "3", False))
    assert gaps == [("BTC-USDT-SWAP", "15m", T0)]
