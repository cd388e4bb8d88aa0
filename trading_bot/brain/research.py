"""News research through Perplexity's Agent API (`POST /v1/agent` with the web_search tool; the Sonar
chat API is retired) over httpx.

Research runs only when a trigger fires (calendar window, > 3 % 1H move, funding spike, > 5 % 1H
open-interest change); answers and sources are stored in `research_cache` with their retrieval time
and reused for `RESEARCH_CACHE_MINUTES`. Failed runs arrive as HTTP 200 with `status: failed`, so the
status is always checked. Every call is recorded in `llm_calls` with its metered cost. The answer is
untrusted text: the prompt builder quotes and caps it. A source whose URL is not an absolute http(s)
URL is dropped here, and a source date that is not an ISO date is dropped (see `Source`).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import ValidationError

from trading_bot.brain import prompt_texts
from trading_bot.brain.budget import BudgetGovernor
from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.brain.llm import GatewayReply
from trading_bot.brain.ports import Research, ResearchOutcome, Source
from trading_bot.brain.prices import PriceTable, Usage
from trading_bot.brain.prompts import VERSIONS, research_query
from trading_bot.brain.triggers import market_triggers
from trading_bot.brain.untrusted import inert
from trading_bot.domain.snapshot import MarketSnapshot
from trading_bot.logs import get_logger, truncate
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos import research_cache
from trading_bot.storage.repos.llm_calls import LlmCallRecord, insert_call

log = get_logger(__name__)
MAX_OUTPUT_TOKENS = 600
MAX_QUESTION = 300  # characters of an on-demand question (untrusted user text)


@dataclass(frozen=True)
class AgentRequest:
    purpose: str
    model: str
    query: str
    timeout: float

    def body(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input": self.query,
            "instructions": prompt_texts.RESEARCH_INSTRUCTIONS,
            "tools": [{"type": "web_search", "filters": {"search_recency_filter": "day"}}],
            "max_output_tokens": MAX_OUTPUT_TOKENS,
        }

    def prompt_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.body(), sort_keys=True).encode()).hexdigest()


class PerplexityGateway:
    provider = "perplexity"

    def __init__(self, api_key: str, base_url: str, client: httpx.Client | None = None) -> None:
        self._client = client or httpx.Client()
        self._url = base_url.rstrip("/") + "/v1/agent"
        self._headers = {"Authorization": f"Bearer {api_key}"}

    def send(self, request: AgentRequest) -> GatewayReply:
        started = time.perf_counter()
        try:
            response = self._client.post(self._url, json=request.body(), headers=self._headers,
                                         timeout=request.timeout)
        except httpx.TimeoutException:
            return GatewayReply(None, _ms(started), failure="timeout", error="research request timed out")
        except httpx.HTTPError as exc:
            return GatewayReply(None, _ms(started), failure="connection", error=f"connection error: {exc}")
        if response.status_code != 200:
            kind = "rate_limited" if response.status_code == 429 else "api_error"
            return GatewayReply(None, _ms(started), failure=kind,  # type: ignore[arg-type]
                                error=f"HTTP {response.status_code}: {truncate(response.text, 300)}")
        return GatewayReply(response.json(), _ms(started))


class NoResearch:
    """Research switched off (no key, or the offline brain); the prompt states the reason."""

    def __init__(self, note: str) -> None:
        self._note = note

    def research(self, snapshot: MarketSnapshot, now: datetime, cycle_id: str | None = None) -> ResearchOutcome:
        return ResearchOutcome(note=self._note)

    def ask(self, inst_id: str, question: str | None, now: datetime) -> ResearchOutcome:
        return ResearchOutcome(note=self._note)


class PerplexityResearcher:
    def __init__(self, gateway: Any, db: Database, prices: PriceTable, calendar: EconomicCalendar, model: str,
                 timeout: float, cache_minutes: int, governor: BudgetGovernor | None = None,
                 run_id: str = LIVE_RUN, on_spend: Callable[[datetime], object] | None = None) -> None:
        self._gateway = gateway
        self._db = db
        self._prices = prices
        self._calendar = calendar
        self._model = model
        self._timeout = timeout
        self._ttl = timedelta(minutes=cache_minutes)
        self._governor = governor
        self._run_id = run_id
        self._on_spend = on_spend

    def research(self, snapshot: MarketSnapshot, now: datetime, cycle_id: str | None = None) -> ResearchOutcome:
        triggers = market_triggers(snapshot, self._calendar, now, include_open_interest=True)
        if not triggers:
            return ResearchOutcome(note="no research trigger this cycle (no calendar window or anomaly)")
        trigger = triggers[0]
        key = hashlib.sha256(f"{snapshot.inst_id}|{trigger}".encode()).hexdigest()
        return self._cached_or_fetched(snapshot.inst_id, trigger, key, research_query(snapshot.inst_id, trigger, now),
                                       now, cycle_id)

    def ask(self, inst_id: str, question: str | None, now: datetime) -> ResearchOutcome:
        question = inert(question, MAX_QUESTION)
        query = f"{question} (as of {now:%Y-%m-%d %H:00} UTC)" if question else research_query(inst_id, "manual", now)
        key = hashlib.sha256(f"ask|{inst_id}|{query}".encode()).hexdigest()
        return self._cached_or_fetched(inst_id, "manual", key, query, now, None)

    def _cached_or_fetched(self, inst_id: str, trigger: str, key: str, query: str, now: datetime,
                           cycle_id: str | None) -> ResearchOutcome:
        cached = research_cache.fresh(self._db, key, now)
        if cached is not None:
            age = int((now - cached.retrieved_at).total_seconds() // 60)
            return ResearchOutcome(research=_from_cache(cached), note=f"research from cache, {age} min old")
        if self._governor is not None and self._gateway.provider != "replay" and not self._governor.allows_opus(now):
            return ResearchOutcome(note="research skipped: daily LLM budget exhausted")
        return self._fetch(inst_id, trigger, key, query, now, cycle_id)

    def _fetch(self, inst_id: str, trigger: str, key: str, query: str, now: datetime,
               cycle_id: str | None) -> ResearchOutcome:
        request = AgentRequest("research", self._model, query, self._timeout)
        reply = self._gateway.send(request)
        parsed, failure = _interpret(reply)
        cost = Decimal(0) if reply.replayed else _cost(self._prices, self._model, reply.response)
        call_id = insert_call(self._db, self._record(request, reply, parsed, failure, cost, now, cycle_id))
        if cost and self._on_spend is not None:
            self._on_spend(now)
        if parsed is None:
            log.warning("research.failed", trigger=trigger, error=failure)
            return ResearchOutcome(note=f"research failed ({failure}); decide without news")
        research = Research(query=request.query, trigger=trigger, answer=parsed["answer"],
                            sources=[Source(**s) for s in parsed["sources"]], model=self._model,
                            retrieved_at=now, cost_usd=cost)
        research_cache.insert(self._db, research_cache.CachedResearch(
            query_hash=key, query=request.query, instrument=inst_id, trigger=trigger, model=self._model,
            answer=research.answer, sources=parsed["sources"], llm_call_id=call_id, cost_usd=cost,
            retrieved_at=now, expires_at=now + self._ttl))
        return ResearchOutcome(research=research, note=f"fresh research ({trigger})")

    def _record(self, request: AgentRequest, reply: GatewayReply, parsed: dict[str, Any] | None, failure: str | None,
                cost: Decimal, now: datetime, cycle_id: str | None) -> LlmCallRecord:
        usage = (reply.response or {}).get("usage") or {}
        return LlmCallRecord(
            purpose="research", provider="perplexity", model=request.model, prompt_version=VERSIONS["research"],
            prompt_hash=request.prompt_hash(), request=request.body(), response=reply.response, created_at=now,
            parsed=parsed, error=failure, stop_reason=(reply.response or {}).get("status"),
            input_tokens=int(usage.get("input_tokens") or 0), output_tokens=int(usage.get("output_tokens") or 0),
            latency_ms=reply.latency_ms, cost_usd=cost, replayed=reply.replayed, cycle_id=cycle_id,
            run_id=self._run_id,
        )


def _interpret(reply: GatewayReply) -> tuple[dict[str, Any] | None, str | None]:
    """({answer, sources}, None) for a completed run, else (None, why)."""
    if reply.response is None:
        return None, reply.error or reply.failure or "no response"
    body = reply.response
    status = body.get("status")
    if status != "completed":
        error = body.get("error") or body.get("incomplete_details") or {}
        return None, f"status {status}: {truncate(json.dumps(error), 300)}"
    answer, sources = "", []
    for item in body.get("output") or []:
        if item.get("type") == "message":
            answer += "".join(c.get("text", "") for c in item.get("content") or [] if c.get("type") == "output_text")
        elif item.get("type") == "search_results":
            sources += [{"title": r.get("title") or "", "url": r.get("url") or "", "date": r.get("date")}
                        for r in item.get("results") or [] if r.get("url")]
    if not answer.strip():
        return None, "completed without an answer"
    return {"answer": answer, "sources": [s.model_dump(mode="json") for s in _valid_sources(sources)]}, None


def _valid_sources(raw: list[dict[str, Any]]) -> list[Source]:
    """The sources that pass `Source`'s checks; the others are dropped (and logged), not fatal."""
    kept = []
    for item in raw:
        try:
            kept.append(Source(**item))
        except ValidationError as exc:
            log.warning("research.source_dropped", url=truncate(str(item.get("url")), 120),
                        reason=exc.errors()[0]["msg"])
    return kept


def _cost(prices: PriceTable, model: str, response: dict[str, Any] | None) -> Decimal:
    """The API's metered cost when present (it knows its own prices), else the price table."""
    usage = (response or {}).get("usage") or {}
    metered = (usage.get("cost") or {}).get("total_cost")
    if metered is not None:
        return Decimal(str(metered))
    if not usage or not prices.has(model):
        return Decimal(0)
    searches = ((usage.get("tool_calls_details") or {}).get("search_web") or {}).get("invocation") or 0
    return prices.cost(model, Usage(input_tokens=int(usage.get("input_tokens") or 0),
                                    output_tokens=int(usage.get("output_tokens") or 0), searches=int(searches)))


def _from_cache(entry: research_cache.CachedResearch) -> Research:
    return Research(query=entry.query, trigger=entry.trigger or "", answer=entry.answer,
                    sources=_valid_sources(entry.sources), model=entry.model,
                    retrieved_at=entry.retrieved_at, from_cache=True, cost_usd=Decimal(0))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
