"""/status: bot state, equity, today's PnL and LLM cost, open positions, the last cycle."""

from __future__ import annotations

from datetime import datetime

from trading_bot.brain.budget import CostLedger
from trading_bot.brain.factory import resolve_mode
from trading_bot.clock import start_of_utc_day
from trading_bot.config import ConfigError, Settings
from trading_bot.storage.models import DecisionCycle
from trading_bot.storage.repos import equity as equity_repo
from trading_bot.storage.repos.cycles import recent_cycles
from trading_bot.storage.repos.trades import realised_between
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import ago, esc, number, pairs, pct, usd, usdt, utc
from trading_bot.telegram.views import Reply, Request
from trading_bot.telegram.views.account import current_account
from trading_bot.telegram.views.positions import open_book
from trading_bot.telegram.views.state import state_line


def status_view(deps: BotDeps, request: Request) -> Reply:
    now = deps.now()
    settings = deps.live_settings()
    account, equity_note = current_account(deps, now)
    equity = account.equity if account is not None else None
    day_start = start_of_utc_day(now)
    baseline = equity_repo.latest_at(deps.db, day_start, deps.run_id)
    day_pnl = equity - baseline.equity if equity is not None and baseline is not None else None
    closed, realised = realised_between(deps.db, day_start, now, deps.run_id)
    spent = CostLedger(deps.db, deps.run_id).today(now)
    budget = settings.daily_llm_budget_usd
    cycle = next(iter(recent_cycles(deps.db, 1, run_id=deps.run_id)), None)
    rows = [
        ("equity", f"{usdt(equity)} {equity_note}"),
        ("PnL today", f"{usdt(day_pnl, signed=True)}"
                      + (f" ({pct(day_pnl / baseline.equity, 2, signed=True)})" if day_pnl is not None and baseline
                         and baseline.equity else "")),
        ("realised", f"{usdt(realised, signed=True)} in {closed} closed trade{'' if closed == 1 else 's'}"),
        ("LLM today", f"{usd(spent)} of {usd(budget, 2)} budget ({pct(spent / budget)})"),
        ("positions", f"{len(open_book(deps).lines)} open"),
        ("last cycle", _cycle_when(cycle, now)),
        ("outcome", _cycle_outcome(cycle)),
        ("venue", "local simulator" if settings.uses_simulator else f"OKX (flag {settings.okx_flag})"),
        ("brain", _brain(settings)),
    ]
    head = f"<b>OKX Opus bot</b> {state_line(deps)}"
    return Reply(f"{head}\n\n{pairs(rows)}\n\n<i>{esc(utc(now))}</i>")


def _cycle_when(cycle: DecisionCycle | None, now: datetime) -> str:
    if cycle is None:
        return "none yet"
    return f"{utc(cycle.started_at)} ({ago(cycle.started_at, now)})"


def _cycle_outcome(cycle: DecisionCycle | None) -> str:
    if cycle is None:
        return "n/a"
    outcome = cycle.outcome or f"running ({cycle.stage})"
    decision = cycle.decision or {}
    if decision.get("action"):
        confidence = decision.get("confidence")
        outcome += f" · {decision['action']}" + (f" {number(confidence, 2)}" if confidence else "")
    return f"{outcome} · {cycle.instrument}"


def _brain(settings: Settings) -> str:
    try:
        return resolve_mode(settings)
    except ConfigError as exc:  # a misconfigured brain is worth showing, not hiding
        return f"misconfigured: {exc}"
