"""The one module that talks to Anthropic (through the official `anthropic` SDK, which runs on httpx2).

`LlmRequest` is what we send; `AnthropicGateway.send` performs it and returns the server's raw JSON
or a classified error, never raising. `LlmCaller` (brain/calls.py) parses, prices and records it.

Facts this relies on (shared/notes/EXTERNAL_APIS.md §1): no `temperature`; no assistant prefill on
Claude 4.6, so JSON comes from structured outputs (`output_config.format`, GA); the key travels as
`Authorization: Bearer`; SDK retries stay low (`LLM_MAX_RETRIES`) because Celery owns retrying.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import anthropic
import httpx2

from trading_bot.logs import get_logger, truncate

log = get_logger(__name__)

Failure = Literal[
    "timeout", "rate_limited", "overloaded", "api_error", "connection", "replay_miss",
    "refusal", "truncated", "malformed_json", "schema_invalid", "empty",
]


@dataclass(frozen=True)
class LlmRequest:
    """One Messages API call. `system` is a list of text blocks (the static, cacheable part first)."""

    purpose: str  # screen | analyze | review | reflect
    model: str
    prompt_version: str
    system: list[dict[str, Any]]
    user: str
    max_tokens: int
    schema: dict[str, Any]  # JSON schema of the answer (structured outputs)
    timeout: float

    def body(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": [{"role": "user", "content": self.user}],
            "output_config": {"format": {"type": "json_schema", "schema": self.schema}},
        }

    def prompt_hash(self) -> str:
        """sha256 of the canonical request body: the replay key together with the model."""
        canonical = json.dumps(self.body(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class GatewayReply:
    response: dict[str, Any] | None  # the server's JSON body (a Message), None on error
    latency_ms: int
    failure: Failure | None = None
    error: str | None = None
    replayed: bool = False
    meta: dict[str, Any] = field(default_factory=dict)


class AnthropicGateway:
    provider = "anthropic"

    def __init__(self, api_key: str, base_url: str | None = None, max_retries: int = 1,
                 http_client: httpx2.Client | None = None) -> None:
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, max_retries=max_retries, http_client=http_client
        )

    def send(self, request: LlmRequest) -> GatewayReply:
        started = time.perf_counter()
        try:
            raw = self._client.messages.with_raw_response.create(**request.body(), timeout=request.timeout)
            body = raw.http_response.json()
            raw.parse()  # the SDK's own validation of the Message shape
            return GatewayReply(body, _ms(started), meta={"request_id": raw.request_id})
        except Exception as exc:  # noqa: BLE001 - every failure becomes a recorded, classified reply
            failure, message = classify(exc)
            log.warning("llm.call_failed", purpose=request.purpose, model=request.model,
                        failure=failure, error=truncate(message, 300))
            return GatewayReply(None, _ms(started), failure=failure, error=message)

    def close(self) -> None:
        self._client.close()


def classify(exc: BaseException) -> tuple[Failure, str]:
    """Map an SDK exception to a failure kind and a one-line message (no secrets: the SDK's
    messages carry neither the key nor the request body)."""
    if isinstance(exc, anthropic.APITimeoutError):
        return "timeout", "request timed out"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection", f"connection error: {exc}"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited", f"rate limited (HTTP 429): {_api_message(exc)}"
    if isinstance(exc, anthropic.APIStatusError):
        kind: Failure = "overloaded" if exc.status_code == 529 else "api_error"
        return kind, f"HTTP {exc.status_code}: {_api_message(exc)}"
    return "api_error", f"{type(exc).__name__}: {exc}"


def _api_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else None
    return str(message or exc.message)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
