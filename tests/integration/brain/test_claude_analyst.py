"""The Claude analyst through the REAL anthropic SDK against a loopback fake Messages API: every
outcome ends as specified, and llm_calls holds the right tokens and a cost equal to hand arithmetic."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.kit.fake_anthropic import FakeReply
from tests.kit.snapshots import context
from trading_bot.domain.decision import Action
from trading_bot.storage.models import LlmCall

OPUS = "claude-opus-4-6"
VALID = {
    "action": "OPEN_LONG", "size_pct": 3.5, "leverage": 2, "entry_type": "market", "entry_price": 67000.0,
    "stop_loss": 66200.5, "take_profit": 68650.25, "strategy": "trend_pullback", "confidence": 0.72,
    "reasoning": "4H and 1H trend up, 15m pullback to EMA20 with RSI 52.", "invalidation": "15m close below 66200",
    "time_horizon": "4-12h",
}


def usage(inp: int, out: int, write: int = 0, read: int = 0) -> dict[str, int]:
    return {"input_tokens": inp, "output_tokens": out, "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read}


def calls(database) -> list[LlmCall]:  # noqa: ANN001
    with database.session() as session:
        return list(session.scalars(select(LlmCall).order_by(LlmCall.id)))


def test_valid_decision_is_returned_and_priced_exactly(claude_settings, make_brain, fake_anthropic, database):
    fake_anthropic.enqueue(FakeReply.answer(VALID, usage=usage(2431, 187, write=0, read=0)))
    decision = make_brain(claude_settings).analyst.analyze(context(cycle_id=None))

    assert decision.action is Action.OPEN_LONG
    assert (decision.size_pct, decision.leverage) == (Decimal("3.5"), Decimal("2"))
    assert (decision.stop_loss, decision.take_profit) == (Decimal("66200.5"), Decimal("68650.25"))
    assert decision.model == OPUS and decision.confidence == 0.72
    [row] = calls(database)
    # 2431 × $5/M + 187 × $25/M = 0.012155 + 0.004675
    assert row.cost_usd == Decimal("0.016830")
    assert (row.input_tokens, row.output_tokens, row.cache_write_tokens, row.cache_read_tokens) == (2431, 187, 0, 0)
    assert row.purpose == "analyze" and row.provider == "anthropic" and row.model == OPUS
    assert row.prompt_version == "analysis-v2" and len(row.prompt_hash) == 64
    assert row.parsed["action"] == "OPEN_LONG" and row.error is None and row.stop_reason == "end_turn"
    assert row.response["content"][0]["text"]  # the raw answer is kept
    stored = json.dumps([row.request, row.response, row.parsed])
    assert fake_anthropic.api_key not in stored  # the key travels in a header, never into the ledger

    seen = fake_anthropic.requests[0]
    assert seen.headers["authorization"] == f"Bearer {fake_anthropic.api_key}"
    assert "temperature" not in seen.body and seen.body["model"] == OPUS
    assert seen.body["output_config"]["format"]["type"] == "json_schema"
    assert seen.body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert seen.body["messages"][-1]["role"] == "user"  # no assistant prefill (Claude 4.6 rejects it)


def test_cache_tokens_are_priced_at_their_own_rates(claude_settings, make_brain, fake_anthropic, database):
    fake_anthropic.enqueue(FakeReply.answer(VALID, usage=usage(1200, 300, write=4500)),
                           FakeReply.answer(VALID, usage=usage(1200, 300, read=4500)))
    analyst = make_brain(claude_settings).analyst
    analyst.analyze(context())
    analyst.analyze(context())
    first, second = calls(database)
    # 1200×5 + 300×25 + 4500×6.25 = 6000 + 7500 + 28125 = 41625 µ$ per million → 0.041625
    assert first.cost_usd == Decimal("0.041625") and first.cache_write_tokens == 4500
    # 1200×5 + 300×25 + 4500×0.5 = 6000 + 7500 + 2250 = 15750 → 0.015750
    assert second.cost_usd == Decimal("0.015750") and second.cache_read_tokens == 4500


TRUNCATED = '{"action": "OPEN_LONG", "size_pct": 3.5, "leverage": 2, "entry_type": "mar'


@pytest.mark.parametrize(
    ("replies", "failure", "tokens", "cost"),
    [
        # schema-invalid: confidence outside 0..1 and an unknown action
        ([FakeReply.answer({**VALID, "action": "BUY", "confidence": 1.7}, usage=usage(2400, 150))],
         "schema_invalid", (2400, 150), Decimal("0.015750")),  # 2400×5 + 150×25 = 12000 + 3750
        ([FakeReply.answer('{"action": "OPEN_LONG", "size_pct": 3.5,,}', usage=usage(2400, 20))],
         "malformed_json", (2400, 20), Decimal("0.012500")),  # 12000 + 500
        ([FakeReply(text="", stop_reason="refusal", usage=usage(2400, 5))],
         "refusal", (2400, 5), Decimal("0.012125")),  # 12000 + 125
        ([FakeReply(text=TRUNCATED, stop_reason="max_tokens", usage=usage(2400, 1500))],
         "truncated", (2400, 1500), Decimal("0.049500")),  # 12000 + 37500
        ([FakeReply.error(529, "overloaded_error", "Overloaded")] * 2,
         "overloaded", (0, 0), Decimal("0")),  # 2 attempts (LLM_MAX_RETRIES=1), nothing billed
    ],
    ids=["schema-invalid", "malformed-json", "refusal", "max-tokens", "overloaded-529"],
)
def test_unusable_answers_become_hold_with_the_raw_response_kept(
    claude_settings, make_brain, fake_anthropic, database, replies, failure, tokens, cost
):
    fake_anthropic.enqueue(*replies)
    decision = make_brain(claude_settings).analyst.analyze(context())

    assert decision.action is Action.HOLD and f"({failure})" in decision.reasoning
    [row] = calls(database)
    assert row.error.startswith(failure) and row.parsed is None
    assert (row.input_tokens, row.output_tokens) == tokens and row.cost_usd == cost
    assert len(fake_anthropic.requests) == len(replies)
    if failure == "overloaded":
        assert row.response is None and "HTTP 529" in row.error
    else:
        assert row.response is not None and row.parse_error == (row.error if failure != "refusal" else None)


def test_rate_limit_then_success_is_retried_by_the_sdk(claude_settings, make_brain, fake_anthropic, database):
    fake_anthropic.enqueue(FakeReply.error(429, "rate_limit_error", "slow down"),
                           FakeReply.answer(VALID, usage=usage(2431, 187)))
    decision = make_brain(claude_settings).analyst.analyze(context())

    assert decision.action is Action.OPEN_LONG
    assert [r.headers.get("x-stainless-retry-count") for r in fake_anthropic.requests] == ["0", "1"]
    [row] = calls(database)
    assert row.error is None and row.cost_usd == Decimal("0.016830")


def test_answer_slower_than_the_timeout_becomes_hold(claude_settings, make_brain, fake_anthropic, database):
    settings = claude_settings.model_copy(update={"llm_timeout_seconds": 0.4, "llm_max_retries": 0})
    fake_anthropic.enqueue(FakeReply.answer(VALID, delay=2.0))
    decision = make_brain(settings).analyst.analyze(context())

    assert decision.action is Action.HOLD and "(timeout)" in decision.reasoning
    [row] = calls(database)
    assert row.error.startswith("timeout") and row.response is None
    assert row.cost_usd == 0 and 400 <= row.latency_ms < 2000

