"""Post-trade reviews and deep reflection (playbook updates), by Opus or by the offline rules.

A proposal is a complete, validated `Playbook` plus its change log; the caller stores it with
`PlaybookStore.save` and uses it from the next cycle. An unusable model answer or an exhausted
budget yields a review that says so, or no proposal: the playbook then stays as it is.
"""

from __future__ import annotations

from datetime import datetime

from trading_bot.brain.answers import ReflectAnswer, ReviewAnswer
from trading_bot.brain.budget import BudgetGovernor
from trading_bot.brain.calls import LlmCaller
from trading_bot.brain.llm import LlmRequest
from trading_bot.brain.ports import PlaybookProposal, Review, TradeRecap
from trading_bot.brain.prompts import reflect_prompt, review_prompt
from trading_bot.brain.rules import RULES_MODEL
from trading_bot.domain.playbook import MAX_LESSONS, Lesson, Playbook

REVIEW_MAX_TOKENS = 600
REFLECT_MAX_TOKENS = 4000


class ClaudeReflector:
    def __init__(self, caller: LlmCaller, model: str, timeout: float, governor: BudgetGovernor | None) -> None:
        self._caller = caller
        self._model = model
        self._timeout = timeout
        self._governor = governor

    def _budget_ok(self, now: datetime) -> bool:
        return self._governor is None or self._caller.replaying or self._governor.allows_opus(now)

    def review(self, trade: TradeRecap, playbook: Playbook, now: datetime) -> Review:
        if not self._budget_ok(now):
            return Review(lesson="review skipped: daily LLM budget exhausted", model=self._model)
        prompt = review_prompt(trade, playbook)
        request = LlmRequest("review", self._model, prompt.version, prompt.system, prompt.user,
                             REVIEW_MAX_TOKENS, ReviewAnswer.json_schema(), self._timeout)
        outcome = self._caller.call(request, ReviewAnswer, None)
        answer = outcome.value
        if not outcome.ok or answer is None:
            return Review(lesson=f"review unusable ({outcome.failure})", model=self._model,
                          llm_call_id=outcome.call_id)
        return Review(**answer.model_dump(), model=self._model, llm_call_id=outcome.call_id)

    def reflect(self, playbook: Playbook, trades: list[TradeRecap], reviews: list[Review],
                now: datetime) -> PlaybookProposal | None:
        if not trades or not self._budget_ok(now):
            return None
        prompt = reflect_prompt(playbook, trades, reviews)
        request = LlmRequest("reflect", self._model, prompt.version, prompt.system, prompt.user,
                             REFLECT_MAX_TOKENS, ReflectAnswer.json_schema(), self._timeout * 3)
        outcome = self._caller.call(request, ReflectAnswer, None)
        answer = outcome.value
        if not outcome.ok or answer is None:
            return None
        proposed = answer.to_playbook(playbook.version + 1, now, source=f"reflection:{outcome.call_id}")
        return PlaybookProposal(playbook=proposed, changes=answer.changes, model=self._model,
                                llm_call_id=outcome.call_id)


class RulesReflector:
    """Deterministic reviews; reflection collects new review lessons into the playbook."""

    def review(self, trade: TradeRecap, playbook: Playbook, now: datetime) -> Review:
        won = trade.net_pnl is not None and trade.net_pnl > 0
        r = f"{trade.r_multiple}R" if trade.r_multiple is not None else "an unknown R"
        lesson = (f"{trade.strategy or 'unnamed'} {trade.side} in {trade.regime or 'an unknown regime'} "
                  f"{'worked' if won else 'failed'}: closed by {trade.close_reason or 'unknown'} at {r}")
        return Review(lesson=lesson, mistake="none" if won else "unknown", model=RULES_MODEL,
                      went_well="target reached" if won else "", went_wrong="" if won else "stopped or closed at a loss")

    def reflect(self, playbook: Playbook, trades: list[TradeRecap], reviews: list[Review],
                now: datetime) -> PlaybookProposal | None:
        if not trades:
            return None
        known = {lesson.text for lesson in playbook.lessons}
        fresh = [r.lesson for r in reviews if r.lesson not in known and r.model == RULES_MODEL]
        lessons = [*playbook.lessons, *(Lesson(text=t, source="reflection:rules", created_at=now)
                                        for t in dict.fromkeys(fresh))][-MAX_LESSONS:]
        wins = sum(1 for t in trades if t.net_pnl is not None and t.net_pnl > 0)
        notes = f"After {len(trades)} reviewed trades: {wins} won, {len(trades) - wins} lost (offline rules reflection)."
        changes = [f"added lesson: {text}" for text in dict.fromkeys(fresh)] + [f"notes: {notes}"]
        proposed = playbook.model_copy(update={"version": playbook.version + 1, "lessons": lessons, "notes": notes})
        return PlaybookProposal(playbook=Playbook.model_validate(proposed.model_dump()), changes=changes,
                                model=RULES_MODEL)
