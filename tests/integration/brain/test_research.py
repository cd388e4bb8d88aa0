"""Research through real httpx against a loopback fake of Perplexity's Agent API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from tests.kit.fake_perplexity import AgentReply
from tests.kit.snapshots import AT, snapshot
from trading_bot.storage.models import LlmCall, ResearchCache

SOURCES = [{"title": "Funding flips as longs pile in", "url": "https://news.example/a", "date": "2026-02-03"},
           {"title": "Exchange outflows", "url": "https://news.example/b", "date": None}]


@pytest.fixture
def research_settings(claude_settings, fake_perplexity):  # noqa: ANN001, ANN201
    return claude_settings.model_copy(update={"perplexity_api_key": SecretStr(fake_perplexity.api_key),
                                              "perplexity_base_url": fake_perplexity.base_url})


def rows(database, model):  # noqa: ANN001, ANN201
    with database.session() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_success_stores_answer_sources_and_metered_cost(research_settings, make_brain, fake_perplexity, database):
    fake_perplexity.enqueue(AgentReply.completed("Funding is elevated after a squeeze [1].", SOURCES, cost=0.0061))
    outcome = make_brain(research_settings).researcher.research(snapshot(funding="0.0008"), AT)

    research = outcome.research
    assert research is not None and research.trigger == "funding_spike" and not research.from_cache
    assert research.answer == "Funding is elevated after a squeeze [1]."
    assert [s.url for s in research.sources] == ["https://news.example/a", "https://news.example/b"]
    assert research.retrieved_at == AT and research.cost_usd == Decimal("0.0061")
    [call] = rows(database, LlmCall)
    assert (call.provider, call.purpose, call.model) == ("perplexity", "research", "perplexity/sonar")
    assert call.cost_usd == Decimal("0.0061") and call.stop_reason == "completed"
    assert (call.input_tokens, call.output_tokens) == (900, 160)
    [cached] = rows(database, ResearchCache)
    assert cached.retrieved_at == AT and cached.expires_at == AT + timedelta(hours=1)
    assert cached.llm_call_id == call.id and len(cached.sources) == 2
    [body] = fake_perplexity.requests
    assert set(body) == {"model", "input", "instructions", "tools", "max_output_tokens"}
    assert body["tools"][0]["type"] == "web_search"


def test_failed_status_inside_http_200_is_a_failure(research_settings, make_brain, fake_perplexity, database):
    fake_perplexity.enqueue(AgentReply.failed("upstream search failed"))
    outcome = make_brain(research_settings).researcher.research(snapshot(funding="0.0008"), AT)

    assert outcome.research is None and "research failed" in outcome.note
    [call] = rows(database, LlmCall)
    assert call.error.startswith("status failed") and "upstream search failed" in call.error
    assert call.cost_usd == 0 and rows(database, ResearchCache) == []


def test_cached_answer_is_reused_within_the_hour(research_settings, make_brain, fake_perplexity, database):
    fake_perplexity.enqueue(AgentReply.completed("first", SOURCES), AgentReply.completed("second", SOURCES))
    researcher = make_brain(research_settings).researcher
    snap = snapshot(funding="0.0008")

    assert researcher.research(snap, AT).research.answer == "first"
    again = researcher.research(snap, AT + timedelta(minutes=59))
    assert again.research.answer == "first" and again.research.from_cache and "59 min old" in again.note
    assert len(fake_perplexity.requests) == 1
    later = researcher.research(snap, AT + timedelta(minutes=61))
    assert later.research.answer == "second" and len(fake_perplexity.requests) == 2


def test_price_table_prices_a_response_without_metered_cost(research_settings, make_brain, fake_perplexity, database):
    fake_perplexity.enqueue(AgentReply.completed("quiet", SOURCES, cost=None, input_tokens=900, output_tokens=160))
    make_brain(research_settings).researcher.research(snapshot(oi_change=7.5), AT)
    [call] = rows(database, LlmCall)
    assert call.cost_usd == Decimal("0.00606")  # (900 + 160) × $1/M + 1 search × $0.005


def test_no_trigger_and_no_key_skip_research(claude_settings, research_settings, make_brain, fake_perplexity):
    quiet = make_brain(research_settings).researcher.research(snapshot(), AT)
    assert quiet.research is None and "no research trigger" in quiet.note
    no_key = make_brain(claude_settings).researcher.research(snapshot(funding="0.0008"), AT)
    assert no_key.research is None and "no PERPLEXITY_API_KEY" in no_key.note
    assert fake_perplexity.requests == []
