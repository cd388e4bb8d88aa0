"""Replay: answer LLM calls from recorded `llm_calls` rows (same model, same prompt hash) without any
network. A miss is an explicit `replay_miss` failure (the analyst turns it into a HOLD that says
so), never a silent call to the API."""

from __future__ import annotations

from typing import Any, Protocol

from trading_bot.brain.llm import GatewayReply
from trading_bot.storage.db import Database
from trading_bot.storage.repos.llm_calls import find_recorded


class Replayable(Protocol):
    """What a replay needs of a request (LlmRequest and research's AgentRequest both qualify)."""

    @property
    def purpose(self) -> str: ...

    @property
    def model(self) -> str: ...

    def prompt_hash(self) -> str: ...

    def body(self) -> dict[str, Any]: ...


class ReplayGateway:
    provider = "replay"

    def __init__(self, db: Database, recorded_provider: str = "anthropic") -> None:
        self._db = db
        self._recorded_provider = recorded_provider

    def send(self, request: Replayable) -> GatewayReply:
        recorded = find_recorded(self._db, self._recorded_provider, request.model, request.prompt_hash())
        if recorded is None:
            return GatewayReply(
                None, 0, failure="replay_miss", replayed=True,
                error=f"replay miss: no recorded {request.purpose} call for {request.model} "
                      f"with prompt hash {request.prompt_hash()[:16]}",
            )
        failure = recorded.error.split(":", 1)[0] if recorded.error and recorded.response is None else None
        return GatewayReply(
            recorded.response, recorded.latency_ms, failure=failure,  # type: ignore[arg-type]
            error=recorded.error if failure else None, replayed=True,
        )
