"""The Claude analyst: Opus turns the context into a `Decision`.

Safe by construction: a timeout, an API error, a refusal, a truncated (`max_tokens`), malformed or
schema-invalid answer, a replay miss or an exhausted daily budget all become HOLD with the reason
(the raw response stays in `llm_calls`); three unusable answers in a row raise a WARN alert. The risk gate still checks every non-HOLD decision.
"""

from __future__ import annotations

from trading_bot.brain.alerts import AlertSink
from trading_bot.brain.answers import AnalysisAnswer
from trading_bot.brain.budget import BudgetGovernor
from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.brain.calls import LlmCaller, LlmOutcome
from trading_bot.brain.llm import LlmRequest
from trading_bot.brain.ports import BrainContext
from trading_bot.brain.prompts import analysis_prompt
from trading_bot.domain.decision import Decision
from trading_bot.domain.events import Alert
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.repos import llm_calls

log = get_logger(__name__)

ANALYSIS_MAX_TOKENS = 1500
FAILURE_STREAK_ALERT = 3


class ClaudeAnalyst:
    def __init__(self, caller: LlmCaller, model: str, timeout: float, calendar: EconomicCalendar,
                 governor: BudgetGovernor | None, alerts: AlertSink, db: Database, cache_ttl: str = "1h") -> None:
        self._caller = caller
        self._model = model
        self._timeout = timeout
        self._calendar = calendar
        self._governor = governor
        self._alerts = alerts
        self._db = db
        self._cache_ttl = cache_ttl

    def analyze(self, ctx: BrainContext) -> Decision:
        if self._governor is not None and not self._caller.replaying and not self._governor.allows_opus(ctx.now):
            return Decision.hold(ctx.inst_id, "daily LLM budget exhausted: no Opus call until 00:00 UTC",
                                 model=self._model, cycle_id=ctx.cycle_id)
        request = self.request(ctx)
        outcome = self._caller.call(request, AnalysisAnswer, ctx.cycle_id)
        if outcome.ok:
            answer: AnalysisAnswer = outcome.value  # type: ignore[assignment]
            return answer.to_decision(ctx.inst_id, self._model, ctx.cycle_id)
        self._check_streak(ctx, outcome)
        return Decision.hold(ctx.inst_id, _hold_reason(outcome), model=self._model, cycle_id=ctx.cycle_id)

    def request(self, ctx: BrainContext) -> LlmRequest:
        prompt = analysis_prompt(ctx, self._calendar.upcoming(ctx.now), self._cache_ttl)
        return LlmRequest("analyze", self._model, prompt.version, prompt.system, prompt.user,
                          ANALYSIS_MAX_TOKENS, AnalysisAnswer.json_schema(), self._timeout)

    def _check_streak(self, ctx: BrainContext, outcome: LlmOutcome) -> None:
        streak, latest = llm_calls.recent_failures(self._db, "analyze", self._caller.run_id)
        if streak != FAILURE_STREAK_ALERT:
            return
        self._alerts.emit(Alert(
            severity="WARN", kind="analysis_failures", inst_id=ctx.inst_id, ts=ctx.now,
            data={"streak": streak, "last_failure": outcome.failure, "llm_call_id": latest},
            message=f"{streak} analyses in a row were unusable (last: {outcome.failure}); cycles end in HOLD",
        ), once_key=f"analysis-failures:{self._caller.run_id}:{latest}")


def _hold_reason(outcome: LlmOutcome) -> str:
    prefix = "REPLAY MISS" if outcome.failure == "replay_miss" else f"analysis unusable ({outcome.failure})"
    # No call id here: a replay must reproduce the decision exactly (llm_calls links it by cycle_id).
    return f"{prefix}: {outcome.detail[:300]}"
