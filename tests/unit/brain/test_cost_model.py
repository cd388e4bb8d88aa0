"""The benchmark's cost projection against hand arithmetic (Opus prices: $5 in, $25 out, $6.25 5-minute
write, $10 1-hour write, $0.50 read per million tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from benchmarks.llm_cost_model import CallUsage, cached_cost, plain_cost
from trading_bot.brain.prices import PriceTable

OPUS = PriceTable.load().price("claude-opus-4-6")
T0 = datetime(2026, 2, 3, tzinfo=UTC)


def calls(gaps_minutes: list[int], static: int = 5000) -> list[CallUsage]:
    out, at = [], T0
    for gap in gaps_minutes:
        at += timedelta(minutes=gap)
        out.append(CallUsage(at=at, input_tokens=static + 1000, output_tokens=200, static_tokens=static))
    return out


def test_plain_cost():
    # per call 6000×5 + 200×25 = 35000 µ$·M → $0.035; three calls
    assert plain_cost(OPUS, calls([0, 5, 5])) == Decimal("0.105")


def test_a_prefix_below_the_minimum_is_never_cached():
    small = calls([0, 5, 5], static=3000)
    assert cached_cost(OPUS, small, timedelta(hours=1)) == plain_cost(OPUS, small)


def test_one_hour_ttl_writes_once_then_reads():
    # first: 5000×10 + 1000×5 + 200×25 = 50000 + 5000 + 5000 = 60000; next two: 5000×0.5 + 5000 + 5000 = 12500
    assert cached_cost(OPUS, calls([0, 5, 5]), timedelta(hours=1)) == Decimal("0.085")


def test_five_minute_ttl_misses_at_a_five_minute_cadence():
    # every call writes: 5000×6.25 + 5000 + 5000 = 41250 each, more than no caching (35000)
    assert cached_cost(OPUS, calls([0, 5, 5]), timedelta(minutes=5)) == Decimal("0.12375")


def test_what_if_prefix_override():
    small = calls([0, 30], static=3000)
    # forced 4096-token prefix: 4096×10 + 1000×5 + 5000 = 50960; then 4096×0.5 + 10000 = 12048
    assert cached_cost(OPUS, small, timedelta(hours=1), prefix_tokens=4096) == Decimal("0.063008")
    # without caching: 2 × (5096×5 + 200×25) = 2 × 30480
    assert plain_cost(OPUS, small, prefix_tokens=4096) == Decimal("0.06096")
