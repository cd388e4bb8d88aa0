"""Prompt caching as the fake Messages API simulates it (minimum 4,096 tokens, write then read),
priced through the real SDK and the call ledger: what a backtest recording against the fake gets."""

from __future__ import annotations

from decimal import Decimal

from tests.kit.fake_anthropic import FakeReply
from trading_bot.brain.answers import ScreenAnswer
from trading_bot.brain.calls import LlmCaller
from trading_bot.brain.llm import AnthropicGateway, LlmRequest
from trading_bot.brain.prices import PriceTable
from trading_bot.brain.tokens import estimate_tokens

HAIKU = "claude-haiku-4-5-20251001"


def request(static: str, ttl: str = "1h") -> LlmRequest:
    system = [{"type": "text", "text": static, "cache_control": {"type": "ephemeral", "ttl": ttl}}]
    return LlmRequest("screen", HAIKU, "t", system, "quiet market?", 50, ScreenAnswer.json_schema(), 5.0)


def test_a_long_prefix_is_written_once_then_read_and_a_short_one_never(fake_anthropic, database, clock):
    fake_anthropic.responder = lambda body: FakeReply.answer({"signal": False, "reason": "quiet"})
    caller = LlmCaller(AnthropicGateway(fake_anthropic.api_key, fake_anthropic.base_url, 0), database,
                       PriceTable.load(), clock)
    long_static, short_static = "market regime guidance " * 1500, "short system prompt"
    prefix = estimate_tokens(long_static)
    assert prefix >= 4096

    first, second = (caller.call(request(long_static), ScreenAnswer) for _ in range(2))
    short = caller.call(request(short_static), ScreenAnswer)

    assert (first.usage.cache_write_tokens, first.usage.cache_read_tokens) == (prefix, 0)
    assert (second.usage.cache_write_tokens, second.usage.cache_read_tokens) == (0, prefix)
    assert (short.usage.cache_write_tokens, short.usage.cache_read_tokens) == (0, 0)
    rest, out = first.usage.input_tokens, first.usage.output_tokens
    # Haiku: a 1-hour write costs 2× input ($2/M), a read 0.1× ($0.10/M)
    assert first.cost_usd == (Decimal(prefix) * 2 + rest * 1 + out * 5) / 1_000_000
    assert second.cost_usd == (Decimal(prefix) * Decimal("0.10") + rest * 1 + out * 5) / 1_000_000
    five = caller.call(request(long_static + " v2", ttl="5m"), ScreenAnswer)  # a new prefix, 5-minute TTL
    assert five.cost_usd == (Decimal(five.usage.cache_write_tokens) * Decimal("1.25") + five.usage.input_tokens
                             + five.usage.output_tokens * 5) / 1_000_000 and five.usage.cache_write_1h_tokens == 0
