"""The screener: decides whether a cycle deserves the expensive analyst.

`GatedScreener` applies the bypass rules first (an open position, an economic-calendar window, a
> 3 % 1H move, a funding spike, a manual trigger, Claude's safe mode: straight to analysis, which
in safe mode holds or probes), otherwise asks its judge
(Haiku, or the offline rules), logs every screen in `screener_logs`, and warns when the pass rate
over the last 24 hours falls below 10 % (the screener is probably too aggressive).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from trading_bot.brain.alerts import AlertSink
from trading_bot.brain.answers import ScreenAnswer
from trading_bot.brain.calendar import EconomicCalendar
from trading_bot.brain.calls import LlmCaller
from trading_bot.brain.llm import LlmRequest
from trading_bot.brain.ports import BrainContext, ScreenResult
from trading_bot.brain.prompts import screen_prompt
from trading_bot.brain.safe_mode import SafeMode
from trading_bot.brain.triggers import calendar_trigger, funding_trigger, price_move_trigger
from trading_bot.clock import start_of_utc_day
from trading_bot.domain.events import Alert
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos import screener_logs

log = get_logger(__name__)

SCREEN_MAX_TOKENS = 200
PASS_RATE_WINDOW = timedelta(hours=24)
MIN_PASS_RATE = 0.10
MIN_SCREENS_FOR_RATE = 24  # fewer model screens than this in 24 h say nothing about the rate


class ScreenJudge(Protocol):
    def judge(self, ctx: BrainContext) -> ScreenResult: ...


def bypass_reason(ctx: BrainContext, calendar: EconomicCalendar) -> str | None:
    if ctx.manual_trigger:
        return "manual"
    if ctx.open_positions():
        return "open_position"
    return calendar_trigger(calendar, ctx.now) or price_move_trigger(ctx.snapshot) or funding_trigger(ctx.snapshot)


class GatedScreener:
    def __init__(self, judge: ScreenJudge, calendar: EconomicCalendar, db: Database, alerts: AlertSink,
                 run_id: str = LIVE_RUN, safe_mode: SafeMode | None = None) -> None:
        self._judge = judge
        self._calendar = calendar
        self._db = db
        self._alerts = alerts
        self._run_id = run_id
        self._safe_mode = safe_mode

    def screen(self, ctx: BrainContext) -> ScreenResult:
        bypass = bypass_reason(ctx, self._calendar)
        if bypass is None and self._safe_mode is not None and self._safe_mode.outage() is not None:
            bypass = "safe_mode"  # no Haiku call while Claude fails: the analyst holds or probes
        if bypass is not None:
            result = ScreenResult(signal=True, reason=f"bypass: {bypass}", model="bypass", bypass_reason=bypass)
        else:
            result = self._judge.judge(ctx)
        log_id = screener_logs.insert(
            self._db, instrument=ctx.inst_id, ts=ctx.now, model=result.model, signal=result.signal,
            reason=result.reason, bypass_reason=result.bypass_reason, parse_error=result.parse_error,
            llm_call_id=result.llm_call_id, cycle_id=ctx.cycle_id, run_id=self._run_id,
        )
        log.info("screen", instrument=ctx.inst_id, signal=result.signal, model=result.model, reason=result.reason)
        if bypass is None:
            self._check_pass_rate(ctx.now)
        return result.model_copy(update={"log_id": log_id})

    def _check_pass_rate(self, now: datetime) -> None:
        total, passed = screener_logs.pass_rate(self._db, now - PASS_RATE_WINDOW, now + timedelta(microseconds=1),
                                                self._run_id)
        if total < MIN_SCREENS_FOR_RATE or passed / total >= MIN_PASS_RATE:
            return
        day = start_of_utc_day(now).date().isoformat()
        self._alerts.emit(Alert(
            severity="WARN", kind="screener_pass_rate", ts=now,
            data={"screens": total, "passed": passed, "window_hours": 24},
            message=f"screener passed {passed} of {total} cycles in 24 h ({passed / total:.0%} < "
                    f"{MIN_PASS_RATE:.0%}): it is probably too aggressive; check the shadow analyses",
        ), once_key=f"screener-pass-rate:{self._run_id}:{day}")


class ClaudeScreenJudge:
    """Haiku with a compact prompt. An unusable answer counts as signal=True: the analyst decides."""

    def __init__(self, caller: LlmCaller, model: str, timeout: float) -> None:
        self._caller = caller
        self._model = model
        self._timeout = timeout

    def judge(self, ctx: BrainContext) -> ScreenResult:
        prompt = screen_prompt(ctx)
        request = LlmRequest("screen", self._model, prompt.version, prompt.system, prompt.user,
                             SCREEN_MAX_TOKENS, ScreenAnswer.json_schema(), self._timeout)
        outcome = self._caller.call(request, ScreenAnswer, ctx.cycle_id)
        answer = outcome.value
        if outcome.ok and answer is not None:
            return ScreenResult(signal=answer.signal, reason=answer.reason, model=self._model,
                                llm_call_id=outcome.call_id)
        return ScreenResult(signal=True, reason=f"screener answer unusable ({outcome.failure}): {outcome.detail[:200]}",
                            model=self._model, parse_error=True, llm_call_id=outcome.call_id)
