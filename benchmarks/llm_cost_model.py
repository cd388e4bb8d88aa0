"""Cost projection arithmetic for bench_llm_cost: per-day USD from recorded per-call usage.

Kept apart from the driver so the formulas read on their own. All money is Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from trading_bot.brain.prices import ModelPrice

MILLION = Decimal(1_000_000)
CACHE_MINIMUM_TOKENS = 4096  # Opus 4.6 and Haiku 4.5


@dataclass(frozen=True)
class CallUsage:
    at: datetime
    input_tokens: int  # whole prompt (nothing was cached in the recording)
    output_tokens: int
    static_tokens: int  # the cacheable prefix of this prompt


def input_tokens(call: CallUsage, prefix_tokens: int | None) -> int:
    """Prompt size, with the static prefix replaced by `prefix_tokens` in a what-if."""
    return call.input_tokens if prefix_tokens is None else call.input_tokens - call.static_tokens + prefix_tokens


def plain_cost(price: ModelPrice, calls: list[CallUsage], prefix_tokens: int | None = None) -> Decimal:
    return sum((Decimal(input_tokens(c, prefix_tokens)) * price.input + Decimal(c.output_tokens) * price.output
                for c in calls), Decimal(0)) / MILLION


def cached_cost(price: ModelPrice, calls: list[CallUsage], ttl: timedelta, prefix_tokens: int | None = None) -> Decimal:
    """Cost when the static prefix (or `prefix_tokens` of it, a what-if) is cached with `ttl`.

    A prefix below the minimum is never cached (the API answers normally and charges full input).
    A call within `ttl` of the previous one reads the cache (0.1×) and refreshes it; otherwise it
    writes it (1.25× for 5 minutes, 2× for 1 hour)."""
    write_price = price.cache_write if ttl <= timedelta(minutes=5) else price.cache_write_1h
    total = Decimal(0)
    last: datetime | None = None
    for call in calls:
        prefix = call.static_tokens if prefix_tokens is None else prefix_tokens
        rest = call.input_tokens - call.static_tokens
        if prefix < CACHE_MINIMUM_TOKENS:
            total += Decimal(prefix + rest) * price.input
        else:
            hit = last is not None and call.at - last < ttl
            total += Decimal(prefix) * (price.cache_read if hit else write_price) + Decimal(rest) * price.input
        total += Decimal(call.output_tokens) * price.output
        last = call.at
    return total / MILLION
