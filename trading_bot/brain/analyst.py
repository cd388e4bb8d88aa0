"""The Claude analyst: Opus turns the context into a `Decision`.

Safe by construction: a timeout, an API error, a refusal, a truncated (`max_tokens`), malformed or
schema-invalid answer, a replay miss or an exhausted daily budget all become HOLD with the reason
(the raw response stays in `llm_calls`). Three unusable answers in a row start safe mode
(brain/safe_mode.py): HOLD without calling Opus but for one probe per ten minutes, one alert each way.
The risk gate still checks every non-HOLD decision.
"""

from __future__ import annotations

from typing import Any

from trading_bot.brain.answers import AnalysisAnswer
from trading_bot.brain.budget import BudgetGovernor
from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.brain.calls import LlmCaller, LlmOutcome
from trading_bot.brain.llm import LlmRequest
from trading_bot.brain.ports import BrainContext
from trading_bot.brain.prompts import analysis_prompt
from trading_bot.brain.safe_mode import SafeMode
from trading_bot.domain.decision import Decision

ANALYSIS_MAX_TOKENS = 1500


class ClaudeAnalyst:
    def __init__(self, caller: LlmCaller, model: str, timeout: float, calendar: EconomicCalendar,
                 governor: BudgetGovernor | None, safe_mode: SafeMode | None, cache_ttl: str = "1h") -> None:
        self._caller = caller
        self._model = model
        self._timeout = timeout
        self._calendar = calendar
        self._governor = governor
        self._safe_mode = safe_mode
        self._cache_ttl = cache_ttl

    def analyze(self, ctx: BrainContext) -> Decision:
        if self._governor is not None and not self._caller.replaying and not self._governor.allows_opus(ctx.now):
            return Decision.hold(ctx.inst_id, "daily LLM budget exhausted: no Opus call until 00:00 UTC",
                                 model=self._model, cycle_id=ctx.cycle_id)
        outage = self._safe_mode.outage() if self._safe_mode is not None else None
        if outage is not None and not outage.probe_due(ctx.now):
            return Decision.hold(ctx.inst_id, outage.hold_reason(), model=self._model, cycle_id=ctx.cycle_id)
        outcome = self._caller.call(self.request(ctx), AnalysisAnswer, ctx.cycle_id)
        if self._safe_mode is not None:
            self._safe_mode.record(outcome, ctx.now)
        answer = outcome.value
        if outcome.ok and answer is not None:
            return answer.to_decision(ctx.inst_id, self._model, ctx.cycle_id)
        return Decision.hold(ctx.inst_id, _hold_reason(outcome), model=self._model, cycle_id=ctx.cycle_id)

    def request(self, ctx: BrainContext) -> LlmRequest:
        prompt = analysis_prompt(ctx, self._calendar.upcoming(ctx.now), self._cache_ttl)
        return LlmRequest("analyze", self._model, prompt.version, prompt.system, prompt.user,
                          ANALYSIS_MAX_TOKENS, AnalysisAnswer.json_schema(), self._timeout)


def _hold_reason(outcome: LlmOutcome[Any]) -> str:
    prefix = "REPLAY MISS" if outcome.failure == "replay_miss" else f"analysis unusable ({outcome.failure})"
    # No call id here: a replay must reproduce the decision exactly (llm_calls links it by cycle_id).
    return f"{prefix}: {outcome.detail[:300]}"
