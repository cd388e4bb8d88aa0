"""The risk gate as the pipeline, Telegram and the CLI use it: counters from the journal, the pure
gate, escalations applied to the bot state, and every rejection stored in `risk_rejections`."""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from trading_bot.clock import Clock
from trading_bot.domain.decision import Decision
from trading_bot.domain.events import Alert
from trading_bot.domain.orders import Account, Position
from trading_bot.exchange.base import Exchange
from trading_bot.logs import get_logger
from trading_bot.risk import emergency
from trading_bot.risk.emergency import EmergencyReport
from trading_bot.risk.gate import account_escalation, check
from trading_bot.risk.limits import HARD_LIMITS, RiskLimits
from trading_bot.risk.market import MarketView
from trading_bot.risk.state import BotStateService, StateRecord
from trading_bot.risk.verdict import Verdict
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos import risk_rejections
from trading_bot.storage.streams import Keys

log = get_logger(__name__)


class RiskService:
    def __init__(self, db: Database, redis_client: redis.Redis | None, keys: Keys, clock: Clock,
                 run_id: str = LIVE_RUN, limits: RiskLimits = HARD_LIMITS, state: BotStateService | None = None) -> None:
        """`state`: the bot-state service (default the plain one over `db` and `redis_client`)."""
        self.db, self.clock, self.run_id, self.limits = db, clock, run_id, limits
        self.state = state or BotStateService(db, redis_client, keys, clock, run_id)

    def evaluate(self, decision: Decision, account: Account, positions: Sequence[Position], market: MarketView,
                 cycle_id: str | None = None) -> Verdict:
        """Check one decision; apply what it escalates; store it if rejected. Returns the verdict
        (an approved entry carries the exact order to send)."""
        now = self.clock.now()
        status = self.state.status(account)
        verdict = check(decision, account, positions, status, market, now, limits=self.limits)
        if verdict.escalation is not None:
            self.state.escalate(verdict.escalation)
        if not verdict.approved:
            self._store_rejection(decision, verdict, cycle_id)
        log.info("risk verdict", approved=verdict.approved, rule=str(verdict.rule), reason=verdict.reason,
                 instrument=decision.inst_id, action=str(decision.action), cycle_id=cycle_id)
        return verdict

    def watch(self, account: Account) -> StateRecord:
        """Between decisions: apply whatever the account alone calls for (drawdown, daily loss,
        losing streak) and return the state in force."""
        status, record = self.state.assess(account)
        escalation = account_escalation(status, account, self.clock.now(), self.limits)
        if escalation is None:
            return record
        return self.state.escalate(escalation) or self.state.current()

    def enforce_emergency(self, exchange: Exchange) -> EmergencyReport:
        """Run the EMERGENCY HALT action list against `exchange` and alert its outcome (CRITICAL
        while anything is still open). Safe to repeat until the report is flat."""
        report = emergency.flatten(exchange)
        failures = "; ".join(f"{o.action.description}: {o.error}" for o in report.failures)
        self.state.publish(Alert(
            severity="WARN" if report.flat else "CRITICAL", kind="emergency_flatten",
            message=report.summary() + (f" — failed: {failures}" if failures else ""),
            data={"flat": report.flat, "actions": [o.action.description for o in report.outcomes],
                  "open_positions": [p.inst_id for p in report.open_positions]},
            ts=self.clock.now()))
        return report

    def _store_rejection(self, decision: Decision, verdict: Verdict, cycle_id: str | None) -> None:
        # through JSON text: NaN and infinity, which JSONB refuses, become null there
        numbers = json.loads(verdict.model_dump_json(include={"numbers"}))["numbers"]
        risk_rejections.insert(
            self.db, instrument=decision.inst_id, ts=verdict.checked_at, rule=str(verdict.rule),
            reason=verdict.reason, numbers=numbers, decision=json.loads(decision.model_dump_json()),
            cycle_id=cycle_id, run_id=self.run_id,
        )

