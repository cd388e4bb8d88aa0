"""A realistic, deterministic trading history in a migrated database, for dashboards, the report,
Telegram answers and anything else that reads the journal.

`seed_history(db)` simulates `days` days (default 35) of 15-minute decision cycles on a seeded
BTC-USDT-SWAP price path and writes everything the live pipeline would have written, through the
ORM: candles (15m, 1H, 4H), decision cycles with their stage timelines, screener logs (including
shadow analyses and whether the analyst agreed), LLM calls (Haiku screens, Opus analyses, reviews
and reflections, Perplexity research) with tokens, latency and cost, research cache entries, risk
rejections, a few hundred trades with their orders, fills and position history, post-trade and
deep reflections with lessons, a playbook version per deep reflection, hourly account snapshots
(the equity curve), daily performance snapshots, and bot state events (start, cooldowns after
three losses, a Telegram halt and resume). One position at a time (the analyst holds while one
is open); the last cycle always leaves a position open, so "open positions" readers have one.

The same arguments always produce the same rows (random.Random(seed), fixed times). The returned
`SeedSummary` holds what the seed itself knows (its closed trades and equity curve as metric
inputs, the funnel counts, costs per day …), so tests compare what readers compute from the
database with an independent source.

A second run (a backtest written to the same database) is `seed_history(db, run_id="bt-1",
days=7, trigger="backtest", with_market=False, with_playbook=False)`: candles and playbook
versions are shared, not per run; the same seed and start replay the same price path (a shorter
run sees a prefix of it), so its trades match the stored candles.

`seed_standard(db)` writes the standard content the shared fixtures provide (`seeded_db` in
tests/conftest.py): the 35-day live run and a 7-day backtest run `BACKTEST_RUN`.
"""

from __future__ import annotations

import hashlib
import heapq
import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import null

from tests.kit.seed_market import INSTRUMENT, Bar, candles, price_path
from tests.kit.seed_playbook import first_version, next_version
from tests.kit.seed_records import MINUTE, OPUS, Timeline, llm_call, money
from tests.kit.seed_trading import SimTrade, decide, find_exit, open_trade
from tests.kit.seed_writer import Rows, write_rows
from trading_bot.backtest.inputs import ClosedTrade, EquityPoint
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.playbook import Playbook
from trading_bot.exchange.orders import cl_ord_id_for
from trading_bot.pipeline.ids import cycle_id_for
from trading_bot.risk.verdict import Rule
from trading_bot.storage.db import Database
from trading_bot.storage.models import (
    LIVE_RUN,
    AccountSnapshot,
    BotStateEvent,
    DecisionCycle,
    LlmCall,
    PlaybookVersion,
    ReflectionLog,
    ResearchCache,
    RiskRejection,
    ScreenerLog,
)
from trading_bot.storage.repos.candles import upsert_candles

SEED_START = datetime(2026, 1, 1, tzinfo=UTC)
BACKTEST_RUN = "bt-seed"
CYCLE_OFFSET = timedelta(seconds=5)
COOLDOWN = timedelta(minutes=30)
TELEGRAM_ADMIN = "telegram:100200300"
RANDOM_REJECTIONS = tuple(str(rule) for rule in (Rule.REWARD_RISK, Rule.STOP_LOSS_DISTANCE, Rule.ENTRY_DEVIATION,
                                                  Rule.TRADE_NOTIONAL))  # names the real gate uses


@dataclass
class SeedSummary:
    run_id: str
    instrument: str
    start: datetime  # first bar open
    end: datetime  # last bar close
    initial_equity: Decimal
    closed_trades: list[ClosedTrade]  # in closing order, with their database ids
    open_trades: int
    equity: list[EquityPoint]  # hourly, as written to account_snapshots
    prices: list[tuple[datetime, Decimal]]  # (bar close time, close) of every 15m bar
    cycles: int
    screened_in: int
    bypassed: int  # screens skipped by a bypass rule (counted as screened in)
    analysed: int  # live analyses (shadow ones excluded)
    approved: int
    filled: int
    shadow_analysed: int
    shadow_missed: int  # shadow analyses where the analyst wanted to trade
    rejections_by_rule: dict[str, int]
    llm_calls: int
    llm_cost_by_day: dict[date, Decimal]
    llm_cost_by_day_model: dict[date, dict[str, Decimal]]
    llm_cost_by_trade: dict[int, Decimal]  # closed trade's id → its opening cycle's calls (known after the write)
    playbook_versions: int
    state_events: int
    reflections: int


class _Seeder:
    def __init__(self, run_id: str, start: datetime, days: int, seed: int, initial_equity: Decimal,
                 trigger: str, with_playbook: bool) -> None:
        if start.tzinfo is None or (start - datetime(1970, 1, 1, tzinfo=UTC)) % timedelta(hours=4):
            raise ValueError("the seed starts at a UTC 4-hour boundary (so 1H and 4H bars aggregate exactly)")
        self.rng = random.Random(f"{seed}:{run_id}")
        self.run_id, self.trigger, self.with_playbook = run_id, trigger, with_playbook
        self.tag = hashlib.sha1(run_id.encode()).hexdigest()[:6]
        self.path = price_path(seed, start, days * 96)
        self.initial, self.realised = initial_equity, Decimal(0)
        self.rows = Rows()
        self.pending: list[tuple[datetime, int, SimTrade]] = []  # exits not yet settled, a heap
        self.open: list[SimTrade] = []
        self.closed: list[SimTrade] = []
        self.counts: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.loss_streak, self.cooldown_until = 0, start
        self.halt = (start + (self.path[-1].close_ts - start) * 0.45, timedelta(hours=2))
        self.playbook_version = 0
        self.playbook: Playbook | None = None
        self.final = False

    # --- the cycle ------------------------------------------------------------------------
    def simulate(self) -> None:
        self._state_event(self.path[0].ts, None, "RUNNING", "system", "bot started")
        self._new_playbook(self.path[0].ts, "default", *first_version())
        halt_at, halt_for = self.halt
        self._state_event(halt_at, "RUNNING", "HALTED", TELEGRAM_ADMIN, "manual halt: exchange maintenance")
        self._state_event(halt_at + halt_for, "HALTED", "RUNNING", TELEGRAM_ADMIN, "resumed by admin")
        for bar in self.path:
            self._cycle(bar)
        self._settle(self.path[-1].close_ts + timedelta(days=1))

    def _cycle(self, bar: Bar) -> None:
        at = bar.close_ts + CYCLE_OFFSET
        self._settle(at)
        first_call = len(self.rows.calls)
        cycle_id = cycle_id_for(INSTRUMENT, bar.close_ts, self.run_id, self.trigger)
        timeline = Timeline(at)
        timeline.stage("COLLECTING", self.rng.randint(40, 220))
        cycle = DecisionCycle(id=cycle_id, run_id=self.run_id, instrument=INSTRUMENT, trigger=self.trigger,
                              scheduled_for=bar.close_ts, started_at=at, stage="DONE", shadow=False,
                              snapshot={"price": str(bar.close), "regime": bar.regime}, decision=null(), action=None,
                              verdict=null(), approved=None, cl_ord_id=None, error=None)
        self.rows.cycles.append(cycle)
        self.counts["cycles"] += 1
        self.final = bar.index == len(self.path) - 1 and not self.open  # ends with a position open
        log = self._screen(bar, cycle, timeline)
        if cycle.screener_signal:
            self._analyse(bar, cycle, log, timeline)
        else:
            self._maybe_shadow(bar, cycle, log, timeline)
        cycle.timeline, cycle.finished_at = timeline.entries, timeline.now
        cycle.latency_ms = timeline.total_ms
        cycle.cost_usd = sum((c.cost_usd for c in self.rows.calls[first_call:]), Decimal(0))

    def _screen(self, bar: Bar, cycle: DecisionCycle, timeline: Timeline) -> ScreenerLog:
        bypass = "anomaly:price_move" if self.rng.random() < 0.03 else None
        signal = bypass is not None or self.final or self.rng.random() < {"volatile": 0.45, "ranging": 0.25}.get(bar.regime, 0.35)
        reason = f"{bar.regime}: {'setup forming' if signal else 'nothing new'}"
        call = self._call(cycle.id, "screen", timeline.now, {"signal": signal, "reason": reason})
        timeline.stage("SCREENING", call.latency_ms, "signal" if signal else "quiet")
        cycle.screener_signal, cycle.outcome = signal, "screened_out"
        log = ScreenerLog(run_id=self.run_id, cycle_id=cycle.id, instrument=INSTRUMENT, ts=cycle.started_at,
                          model=call.model, signal=signal, reason=reason, bypass_reason=bypass, parse_error=False,
                          shadow_analysed=False, analyst_action=None, analyst_agreed=None, created_at=cycle.started_at)
        self._link(log, "llm_call_id", call)
        self.rows.after_calls.append(log)
        self.counts["screened_in"] += signal
        self.counts["bypassed"] += bypass is not None
        return log

    def _maybe_shadow(self, bar: Bar, cycle: DecisionCycle, log: ScreenerLog, timeline: Timeline) -> None:
        if self.rng.random() >= 0.08:
            return
        decision = self._decision(bar, cycle, timeline)
        cycle.shadow, cycle.outcome = True, "shadow"
        log.shadow_analysed, log.analyst_action = True, decision.action.value
        log.analyst_agreed = decision.action is Action.HOLD
        self.counts["shadow_analysed"] += 1
        self.counts["shadow_missed"] += decision.action is not Action.HOLD

    def _analyse(self, bar: Bar, cycle: DecisionCycle, log: ScreenerLog, timeline: Timeline) -> None:
        halt_at, halt_for = self.halt
        if halt_at <= cycle.started_at < halt_at + halt_for:
            cycle.outcome = "halted"  # no entry can pass, so no analysis is paid for
            return
        if self.rng.random() < 0.08:
            self._research(cycle, timeline)
        self.counts["analysed"] += 1
        if self.rng.random() < 0.015 and not self.final:
            call = self._call(cycle.id, "analyze", timeline.now, {}, error="APITimeoutError: request timed out")
            timeline.stage("ANALYZING", call.latency_ms, "error")
            decision = Decision.hold(INSTRUMENT, "analysis failed: timeout", model=OPUS, cycle_id=cycle.id)
            cycle.error, cycle.outcome, cycle.stage = call.error, "error", "FAILED"
        else:
            decision = self._decision(bar, cycle, timeline)
            cycle.outcome = "hold"
        cycle.decision, cycle.action = decision.model_dump(mode="json"), decision.action.value
        log.analyst_action, log.analyst_agreed = decision.action.value, decision.action is not Action.HOLD
        if decision.action.opens:
            self._risk_and_execute(bar, cycle, decision, timeline)

    def _decision(self, bar: Bar, cycle: DecisionCycle, timeline: Timeline) -> Decision:
        decision = decide(self.rng, bar, cycle.id, flat=not self.open, force_open=self.final)
        call = self._call(cycle.id, "analyze", timeline.now, decision.model_dump(mode="json"))
        timeline.stage("ANALYZING", call.latency_ms, decision.action.value)
        cycle.decision, cycle.action = decision.model_dump(mode="json"), decision.action.value
        return decision

    def _research(self, cycle: DecisionCycle, timeline: Timeline) -> None:
        query = f"BTC news before {timeline.now:%Y-%m-%d %H:%M} UTC"
        call = self._call(cycle.id, "research", timeline.now, {"answer": "no market-moving news"})
        timeline.stage("RESEARCHING", call.latency_ms)
        entry = ResearchCache(query_hash=hashlib.sha256(query.encode()).hexdigest(), query=query,
                              instrument=INSTRUMENT, trigger="screener", model=call.model,
                              answer="No market-moving news in the last hours.",
                              sources=[{"url": "https://example.org/markets", "title": "Markets"}],
                              cost_usd=call.cost_usd, retrieved_at=timeline.now, expires_at=timeline.now + 60 * MINUTE)
        self._link(entry, "llm_call_id", call)
        self.rows.after_calls.append(entry)

    def _risk_and_execute(self, bar: Bar, cycle: DecisionCycle, decision: Decision, timeline: Timeline) -> None:
        rule, reason = self._risk_rule(cycle.started_at)
        timeline.stage("RISK_CHECK", self.rng.randint(2, 12), "rejected" if rule else "approved")
        cycle.verdict = {"approved": rule is None, "rule": rule, "reason": reason or "all limits respected"}
        cycle.approved = rule is None
        if rule is not None:
            self._reject(cycle, decision, rule, reason or "")
            return
        self.counts["approved"] += 1
        timeline.stage("EXECUTING", self.rng.randint(120, 450))
        timeline.stage("CONFIRMING", self.rng.randint(200, 1500), "filled")
        cl_ord_id = cl_ord_id_for(cycle.id)
        trade = open_trade(decision, bar, timeline.now, self.initial + self.realised, cycle.id, cl_ord_id)
        timeline.stage("JOURNALING", self.rng.randint(8, 40))
        if trade is None:
            cycle.outcome, cycle.stage = "error", "FAILED"
            cycle.error = "size rounds to zero contracts"
            return
        cycle.cl_ord_id, cycle.outcome = cl_ord_id, "filled"
        self.counts["filled"] += 1
        find_exit(self.rng, trade, self.path)
        self.rows.trades.append(trade)
        self.open.append(trade)
        if trade.exit_ts is not None:
            heapq.heappush(self.pending, (trade.exit_ts, len(self.rows.trades), trade))

    def _risk_rule(self, at: datetime) -> tuple[str | None, str | None]:
        if self.final:
            return None, None
        if at < self.cooldown_until:
            return "bot_state", f"COOLDOWN after three losses until {self.cooldown_until:%H:%M} UTC"
        if self.rng.random() < 0.12:
            rule = self.rng.choice(RANDOM_REJECTIONS)
            return rule, f"{rule} limit breached"
        return None, None

    def _reject(self, cycle: DecisionCycle, decision: Decision, rule: str, reason: str) -> None:
        cycle.outcome = "rejected"
        self.rejections[rule] += 1
        self.rows.after_calls.append(RiskRejection(
            run_id=self.run_id, cycle_id=cycle.id, instrument=INSTRUMENT, ts=cycle.started_at, rule=rule,
            reason=reason, numbers={"open_positions": len(self.open), "equity": str(self.initial + self.realised)},
            decision=decision.model_dump(mode="json"), created_at=cycle.started_at))

    # --- closes, reflections, state -------------------------------------------------------
    def _settle(self, until: datetime) -> None:
        while self.pending and self.pending[0][0] <= until:
            _, _, trade = heapq.heappop(self.pending)
            self.open.remove(trade)
            self.closed.append(trade)
            self.realised += trade.net_pnl
            self._after_close(trade)

    def _after_close(self, trade: SimTrade) -> None:
        assert trade.exit_ts is not None
        lesson = f"{trade.decision.strategy} in {trade.regime}: {trade.close_reason} after " \
                 f"{(trade.exit_ts - trade.entry_ts) // MINUTE} min"
        self._reflection("post_trade", "review", trade.exit_ts + MINUTE, [lesson], trade)
        self.loss_streak = self.loss_streak + 1 if trade.net_pnl < 0 else 0
        if self.loss_streak == 3:
            self.loss_streak = 0
            self.cooldown_until = trade.exit_ts + COOLDOWN
            self._state_event(trade.exit_ts, "RUNNING", "COOLDOWN", "risk_gate", "three consecutive losses",
                              until=self.cooldown_until)
            self._state_event(self.cooldown_until, "COOLDOWN", "RUNNING", "risk_gate", "cooldown ended")
        if len(self.closed) % 20 == 0:
            self._deep_reflection(trade.exit_ts + 2 * MINUTE)

    def _deep_reflection(self, at: datetime) -> None:
        recent = self.closed[-20:]
        wins = sum(t.net_pnl > 0 for t in recent)
        last = recent[-1]
        lessons = [f"last 20 trades: {wins} wins",
                   f"{last.decision.strategy} in {last.regime}: wait for a closed bar beyond the level"]
        before = self.playbook_version if self.with_playbook else None
        if self.with_playbook and self.playbook is not None:
            notes = f"After {len(self.closed)} trades: {lessons[0]}."
            self._new_playbook(at + MINUTE, "reflection", *next_version(
                self.playbook, lessons[1], last.regime, last.decision.strategy, notes, at + MINUTE))
        after = self.playbook_version if self.with_playbook else None
        log = self._reflection("deep", "reflect", at, lessons, None)
        log.playbook_version_before, log.playbook_version_after = before, after

    def _reflection(self, kind: str, purpose: str, at: datetime, lessons: list[str],
                    trade: SimTrade | None) -> ReflectionLog:
        content = {"summary": lessons[0], "kind": kind}
        call = self._call(trade.cycle_id if trade else None, purpose, at, content)
        log = ReflectionLog(run_id=self.run_id, kind=kind, model=call.model, content=content, lessons=lessons,
                            trade_id=None, playbook_version_before=None, playbook_version_after=None, created_at=at)
        self._link(log, "llm_call_id", call)
        self.rows.reflections.append((log, trade))
        return log

    def _new_playbook(self, at: datetime, created_by: str, playbook: Playbook, changes: list[str]) -> None:
        if not self.with_playbook:
            return
        parent = self.playbook_version or None
        self.playbook, self.playbook_version = playbook, playbook.version
        self.rows.playbooks.append(PlaybookVersion(version=playbook.version, parent_version=parent,
                                                   content=playbook.model_dump(mode="json"), change_log=changes,
                                                   created_by=created_by, created_at=at))

    def _state_event(self, at: datetime, before: str | None, after: str, actor: str, reason: str,
                     until: datetime | None = None) -> None:
        self.counts["state_events"] += 1
        self.rows.after_calls.append(BotStateEvent(run_id=self.run_id, ts=at, from_state=before, to_state=after,
                                                   actor=actor, reason=reason, until=until, data={}))

    # --- helpers ---------------------------------------------------------------------------
    def _call(self, cycle_id: str | None, purpose: str, at: datetime, parsed: dict[str, Any],
              error: str | None = None) -> LlmCall:
        call = llm_call(self.rng, self.run_id, cycle_id, purpose, at, parsed, error)
        call.created_at = at + timedelta(milliseconds=call.latency_ms)
        self.rows.calls.append(call)
        return call

    def _link(self, row: Any, attribute: str, target: Any) -> None:
        self.rows.links.append((row, attribute, target))

    def account_curve(self) -> list[AccountSnapshot]:
        """Hourly snapshots: equity = start equity + closed net PnL + open positions' unrealised
        PnL and entry fees; margin (frozen) = open notional / leverage."""
        snapshots = []
        for bar in self.path:
            if bar.index == 0:
                snapshots.append(self._account_at(bar.ts, bar.open))
            elif bar.index % 4 == 3:
                snapshots.append(self._account_at(bar.close_ts, bar.close))
        return snapshots

    def _account_at(self, at: datetime, price: Decimal) -> AccountSnapshot:
        equity, upl, margin = self.initial, Decimal(0), Decimal(0)
        for trade in self.rows.trades:
            if trade.exit_ts is not None and trade.exit_ts <= at:
                equity += trade.net_pnl
            elif trade.entry_ts <= at:
                upl += trade.unrealised(price)
                equity += trade.unrealised(price) + trade.entry_fee
                margin += money(trade.notional / trade.decision.leverage)
        return AccountSnapshot(run_id=self.run_id, ts=at, equity=equity, available=equity - margin, frozen=margin,
                               upl=upl)


def seed_history(db: Database, *, run_id: str = LIVE_RUN, start: datetime = SEED_START, days: int = 35,
                 seed: int = 7, initial_equity: Decimal = Decimal("10000"), trigger: str = "beat",
                 with_market: bool = True, with_playbook: bool = True) -> SeedSummary:
    """Simulate and write one run's history; see the module docstring."""
    seeder = _Seeder(run_id, start, days, seed, initial_equity, trigger, with_playbook)
    seeder.simulate()
    accounts = seeder.account_curve()
    if with_market:
        upsert_candles(db, candles(seeder.path))
    summary = _summary(seeder, [EquityPoint(a.ts, a.equity) for a in accounts])
    write_rows(db, seeder.run_id, seeder.tag, seeder.rows, accounts, summary)
    summary.closed_trades = [t.closed() for t in seeder.closed]  # now with their database ids
    by_cycle: dict[str | None, Decimal] = defaultdict(Decimal)
    for call in seeder.rows.calls:
        by_cycle[call.cycle_id] += call.cost_usd
    summary.llm_cost_by_trade = {t.row.id: by_cycle[t.cycle_id] for t in seeder.closed if t.row is not None}
    return summary


def _summary(seeder: _Seeder, equity: list[EquityPoint]) -> SeedSummary:
    cost_by_day: dict[date, Decimal] = defaultdict(Decimal)
    by_model: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for call in seeder.rows.calls:
        cost_by_day[call.created_at.date()] += call.cost_usd
        by_model[call.created_at.date()][call.model] += call.cost_usd
    return SeedSummary(
        run_id=seeder.run_id, instrument=INSTRUMENT, start=seeder.path[0].ts, end=seeder.path[-1].close_ts,
        initial_equity=seeder.initial, closed_trades=[t.closed() for t in seeder.closed],
        open_trades=len(seeder.open), equity=equity, prices=[(b.close_ts, b.close) for b in seeder.path],
        cycles=seeder.counts["cycles"], screened_in=seeder.counts["screened_in"],
        bypassed=seeder.counts["bypassed"],
        analysed=seeder.counts["analysed"], approved=seeder.counts["approved"], filled=seeder.counts["filled"],
        shadow_analysed=seeder.counts["shadow_analysed"], shadow_missed=seeder.counts["shadow_missed"],
        rejections_by_rule=dict(seeder.rejections), llm_calls=len(seeder.rows.calls),
        llm_cost_by_day=dict(sorted(cost_by_day.items())),
        llm_cost_by_day_model={day: dict(models) for day, models in sorted(by_model.items())}, llm_cost_by_trade={},
        playbook_versions=seeder.playbook_version,
        state_events=seeder.counts["state_events"], reflections=len(seeder.rows.reflections),
    )




@dataclass(frozen=True)
class StandardSeed:
    live: SeedSummary
    backtest: SeedSummary


def seed_standard(db: Database) -> StandardSeed:
    live = seed_history(db)
    backtest = seed_history(db, run_id=BACKTEST_RUN, days=7, trigger="backtest", with_market=False,
                            with_playbook=False)
    return StandardSeed(live, backtest)
