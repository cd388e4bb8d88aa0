"""One structured LLM call end to end: send through a gateway (Anthropic or replay), interpret the
answer into a pydantic model, price it, and record everything in `llm_calls`.

Nothing here raises on a bad answer: a timeout, refusal, truncation, malformed JSON or a
schema-invalid object comes back as an `LlmOutcome` with `failure` set, and the row in `llm_calls`
keeps the raw response so a human can see what the model said.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from trading_bot.brain.llm import Failure, GatewayReply, LlmRequest
from trading_bot.brain.prices import PriceTable, Usage
from trading_bot.clock import Clock
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.llm_calls import LlmCallRecord, insert_call

T = TypeVar("T", bound=BaseModel)
log = get_logger(__name__)

PARSE_FAILURES: frozenset[str] = frozenset({"truncated", "malformed_json", "schema_invalid", "empty"})


class Gateway(Protocol):
    provider: str

    def send(self, request: LlmRequest) -> GatewayReply: ...


@dataclass(frozen=True)
class LlmOutcome(Generic[T]):
    value: T | None
    failure: Failure | None
    detail: str
    call_id: int
    model: str
    usage: Usage
    cost_usd: Decimal
    stop_reason: str | None
    replayed: bool

    @property
    def ok(self) -> bool:
        return self.failure is None and self.value is not None


class LlmCaller:
    def __init__(self, gateway: Gateway, db: Database, prices: PriceTable, clock: Clock,
                 run_id: str = LIVE_RUN, on_spend: Callable[[datetime], object] | None = None) -> None:
        self.gateway = gateway
        self.on_spend = on_spend  # the budget governor's threshold check, after every priced call
        self._db = db
        self._prices = prices
        self._clock = clock
        self.run_id = run_id

    @property
    def replaying(self) -> bool:
        return self.gateway.provider == "replay"

    def call(self, request: LlmRequest, output: type[T], cycle_id: str | None = None) -> LlmOutcome[T]:
        reply = self.gateway.send(request)
        usage = usage_of(reply.response)
        value, failure, detail = (None, reply.failure, reply.error or "")
        stop_reason = (reply.response or {}).get("stop_reason")
        if reply.response is not None and failure is None:
            value, failure, detail = interpret(reply.response, output)
        cost = Decimal(0) if reply.replayed else self._prices.cost(request.model, usage)
        call_id = insert_call(self._db, self._record(request, reply, usage, cost, value, failure, detail, cycle_id))
        if cost and self.on_spend is not None:
            self.on_spend(self._clock.now())
        if failure is not None:
            log.warning("llm.answer_unusable", purpose=request.purpose, model=request.model, failure=failure,
                        detail=detail[:300], call_id=call_id)
        return LlmOutcome(value, failure, detail, call_id, request.model, usage, cost, stop_reason, reply.replayed)

    def _record(self, request: LlmRequest, reply: GatewayReply, usage: Usage, cost: Decimal,
                value: BaseModel | None, failure: Failure | None, detail: str,
                cycle_id: str | None) -> LlmCallRecord:
        return LlmCallRecord(
            purpose=request.purpose,
            provider="anthropic",
            model=request.model,
            prompt_version=request.prompt_version,
            prompt_hash=request.prompt_hash(),
            request=request.body(),
            response=reply.response,
            created_at=self._clock.now(),
            parsed=value.model_dump(mode="json") if value is not None else None,
            parse_error=f"{failure}: {detail}" if failure in PARSE_FAILURES else None,
            error=f"{failure}: {detail}" if failure is not None else None,
            stop_reason=(reply.response or {}).get("stop_reason"),
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            cache_read_tokens=usage.cache_read_tokens,
            latency_ms=reply.latency_ms,
            cost_usd=cost,
            replayed=reply.replayed,
            cycle_id=cycle_id,
            run_id=self.run_id,
        )


def usage_of(response: dict[str, Any] | None) -> Usage:
    usage = (response or {}).get("usage") or {}
    creation = usage.get("cache_creation") or {}
    return Usage(
        input_tokens=int(usage.get("input_tokens") or 0),
        output_tokens=int(usage.get("output_tokens") or 0),
        cache_write_tokens=int(usage.get("cache_creation_input_tokens") or 0),
        cache_write_1h_tokens=int(creation.get("ephemeral_1h_input_tokens") or 0),
        cache_read_tokens=int(usage.get("cache_read_input_tokens") or 0),
    )


def answer_text(response: dict[str, Any]) -> str:
    return "".join(block.get("text", "") for block in response.get("content") or [] if block.get("type") == "text")


def interpret(response: dict[str, Any], output: type[T]) -> tuple[T | None, Failure | None, str]:
    """The answer as `output`, or why it cannot be used."""
    stop = response.get("stop_reason")
    text = answer_text(response)
    if stop == "refusal":
        details = response.get("stop_details") or {}
        return None, "refusal", f"the model refused {json.dumps(details)[:200] if details else ''}".strip()
    if stop in ("max_tokens", "model_context_window_exceeded"):
        return None, "truncated", f"stop_reason {stop}: the answer was cut off after {len(text)} characters"
    if not text.strip():
        return None, "empty", f"no text in the answer (stop_reason {stop})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, "malformed_json", f"not JSON: {exc}"
    try:
        return output.model_validate(data), None, ""
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        return None, "schema_invalid", problems
