"""Row builders for the seeded history: LLM calls with realistic tokens, latency and cost,
cycle stage timelines, and a few money helpers. ORM objects, never written here."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import null

from trading_bot.storage.models import LlmCall

HAIKU = "claude-haiku-4-5-20251001"
OPUS = "claude-opus-4-6"
PERPLEXITY = "perplexity/sonar"
# USD per million tokens: input, output, cache read (EXTERNAL_APIS.md §1.4); Perplexity flat per call
PRICES = {HAIKU: (Decimal(1), Decimal(5), Decimal("0.10")), OPUS: (Decimal(5), Decimal(25), Decimal("0.50"))}
PERPLEXITY_CALL_USD = Decimal("0.005")
# purpose → (model, provider, input tokens range, output tokens range, latency ms range, prompt version)
CALL_SHAPES: dict[str, tuple[str, str, tuple[int, int], tuple[int, int], tuple[int, int], str]] = {
    "screen": (HAIKU, "anthropic", (1_600, 2_400), (40, 120), (450, 1_600), "screen-v1"),
    "analyze": (OPUS, "anthropic", (7_000, 11_000), (450, 1_100), (6_000, 24_000), "analysis-v1"),
    "review": (OPUS, "anthropic", (3_000, 5_000), (300, 700), (4_000, 12_000), "review-v1"),
    "reflect": (OPUS, "anthropic", (12_000, 18_000), (900, 1_800), (15_000, 40_000), "reflection-v1"),
    "research": (PERPLEXITY, "perplexity", (200, 400), (500, 1_200), (2_500, 9_000), "research-v1"),
}
USDT = Decimal("0.0001")
USD = Decimal("0.000001")
MINUTE = timedelta(minutes=1)


def money(value: Decimal, step: Decimal = USDT) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _cost(model: str, input_tokens: int, output_tokens: int, cache_read: int) -> Decimal:
    if model not in PRICES:
        return PERPLEXITY_CALL_USD
    price_in, price_out, price_cache = PRICES[model]
    return money((input_tokens * price_in + output_tokens * price_out + cache_read * price_cache) / 1_000_000, USD)


def llm_call(rng: random.Random, run_id: str, cycle_id: str | None, purpose: str, at: datetime,
             parsed: dict[str, Any], error: str | None = None) -> LlmCall:
    """One recorded call; `at` is when it finished. A call with `error` has no parsed result."""
    model, provider, tokens_in, tokens_out, latency, version = CALL_SHAPES[purpose]
    input_tokens, output_tokens = rng.randint(*tokens_in), rng.randint(*tokens_out)
    cache_read = rng.choice((0, 0, 4_200)) if model == OPUS else 0
    prompt = f"{purpose}:{cycle_id}:{at.isoformat()}"
    return LlmCall(
        run_id=run_id, cycle_id=cycle_id, purpose=purpose, provider=provider, model=model,
        prompt_version=version, prompt_hash=hashlib.sha256(prompt.encode()).hexdigest(),
        request={"model": model, "prompt": prompt},
        response=null() if error else {"stop_reason": "end_turn", "text": str(parsed)[:200]},
        parsed=null() if error else parsed, error=error, stop_reason=None if error else "end_turn",
        parse_error=None, input_tokens=input_tokens, output_tokens=0 if error else output_tokens,
        cache_write_tokens=0, cache_read_tokens=cache_read, replayed=False,
        latency_ms=rng.randint(*latency), cost_usd=_cost(model, input_tokens, 0 if error else output_tokens, cache_read),
        created_at=at,
    )


class Timeline:
    """The `decision_cycles.timeline` of one cycle, built stage by stage.

    Entries have the format `storage/repos/cycles.record_stage` writes (Grafana's System health
    dashboard reads `stage`, `started_at` and `ms`):
    `{"stage": "SCREENING", "started_at": ISO-8601, "ended_at": ISO-8601, "ms": float, "outcome": str}`.
    """

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.entries: list[dict[str, Any]] = []

    def stage(self, name: str, ms: int, outcome: str = "ok") -> None:
        finished = self.now + timedelta(milliseconds=ms)
        self.entries.append({"stage": name, "started_at": self.now.isoformat(), "ended_at": finished.isoformat(),
                             "ms": float(ms), "outcome": outcome})
        self.now = finished

    @property
    def total_ms(self) -> int:
        return int(sum(e["ms"] for e in self.entries))
