"""Record a Claude-mode run against the fakes, then replay it with no fake and no network: the
decisions are identical, every replayed call is marked and free, and a miss is an explicit HOLD."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from sqlalchemy import delete, select

from tests.kit.fake_anthropic import FakeReply
from tests.kit.fake_perplexity import AgentReply
from tests.kit.snapshots import AT, context, snapshot
from trading_bot.domain.decision import Action
from trading_bot.storage.models import LlmCall, ResearchCache


def responder(body: dict[str, Any]) -> FakeReply:
    """Answers by schema: screens pass; analyses open a long on even prices, hold on odd ones, and
    answer broken JSON at 66990."""
    title = body["output_config"]["format"]["schema"]["title"]
    if title == "ScreenAnswer":
        return FakeReply.answer({"signal": True, "reason": "worth a look"})
    price = Decimal(re.search(r"^price: (\S+)$", body["messages"][0]["content"], re.M).group(1))
    if price == 66990:
        return FakeReply.answer('{"action": "OPEN_LONG",')  # a broken answer replays as the same HOLD
    if int(price) % 2:
        return FakeReply.answer({"action": "HOLD", "size_pct": 0, "leverage": 1, "entry_type": "market",
                                 "entry_price": None, "stop_loss": None, "take_profit": None, "strategy": "",
                                 "confidence": 0.4, "reasoning": f"no edge at {price}", "invalidation": "",
                                 "time_horizon": ""})
    return FakeReply.answer({"action": "OPEN_LONG", "size_pct": 3, "leverage": 2, "entry_type": "market",
                             "entry_price": float(price), "stop_loss": float(price * Decimal("0.99")),
                             "take_profit": float(price * Decimal("1.02")), "strategy": "trend_pullback",
                             "confidence": 0.7, "reasoning": f"pullback at {price}", "invalidation": "close < EMA50",
                             "time_horizon": "4h"})


def run_cycles(brain, clock) -> list[tuple[bool, Any]]:  # noqa: ANN001
    results = []
    for i, (price, funding) in enumerate([("67000", None), ("67101", "0.0009"), ("66850", None), ("66990", None)]):
        now = AT + timedelta(minutes=5 * i)
        clock.set(now)
        snap = snapshot(price=price, at=now, funding=funding)
        research = brain.researcher.research(snap, now)
        ctx = context(snap, now=now, research=research)
        screen = brain.screener.screen(ctx)
        results.append((screen.signal, brain.analyst.analyze(ctx) if screen.signal else None))
    return results


def test_replay_reproduces_a_recorded_run_without_the_api(
    claude_settings, make_brain, fake_anthropic, fake_perplexity, database, clock
):
    fake_anthropic.responder = responder
    fake_perplexity.enqueue(AgentReply.completed("Funding spiked after liquidations.", []))
    settings = claude_settings.model_copy(update={"perplexity_api_key": SecretStr(fake_perplexity.api_key),
                                                  "perplexity_base_url": fake_perplexity.base_url})
    recorded = run_cycles(make_brain(settings), clock)  # 3 screens (1 bypassed), 4 analyses, 1 research
    assert {d.action for _, d in recorded} == {Action.OPEN_LONG, Action.HOLD}
    assert "(malformed_json)" in recorded[3][1].reasoning
    recorded_requests = len(fake_anthropic.requests)

    with database.session() as session:  # replay from the calls alone, not from cached research
        session.execute(delete(ResearchCache))
    replay_settings = settings.model_copy(update={"brain_mode": "replay", "anthropic_base_url": "http://127.0.0.1:9",
                                                  "perplexity_base_url": "http://127.0.0.1:9"})
    replay_brain = make_brain(replay_settings, run_id="replay-1")
    assert replay_brain.mode == "replay"
    replayed = run_cycles(replay_brain, clock)

    assert replayed == recorded
    assert len(fake_anthropic.requests) == recorded_requests and len(fake_perplexity.requests) == 1
    with database.session() as session:
        calls = list(session.scalars(select(LlmCall).where(LlmCall.run_id == "replay-1")))
    assert len(calls) == 8 and all(c.replayed and c.cost_usd == 0 for c in calls)
    assert [c.error is None for c in calls].count(False) == 1
    assert {c.provider for c in calls} == {"anthropic", "perplexity"}

    miss = replay_brain.analyst.analyze(context(snapshot(price="70000")))
    assert miss.action is Action.HOLD and miss.reasoning.startswith("REPLAY MISS")
