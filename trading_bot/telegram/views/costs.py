"""/cost: LLM and research spend today and this week (UTC, weeks start on Monday), the budget,
today's spend by model and purpose, and the cost per trade: the same ledger queries as
`trading-bot costs`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from trading_bot.brain.budget import CostLedger
from trading_bot.clock import start_of_utc_day
from trading_bot.storage.repos.llm_calls import cost_breakdown
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, pairs, pct, table, usd, utc
from trading_bot.telegram.views import Reply, Request, UsageError

RECENT_TRADES = 5


def cost_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /cost (no arguments)")
    now = deps.now()
    ledger = CostLedger(deps.db, deps.run_id)
    budget = deps.live_settings().daily_llm_budget_usd
    today, week, per_trade = ledger.today(now), ledger.this_week(now), ledger.per_trade()
    start = start_of_utc_day(now)
    summary = [("today", f"{usd(today)} of {usd(budget, 2)} ({pct(today / budget)})"), ("this week", usd(week))]
    if per_trade:
        average = sum(per_trade.values(), Decimal(0)) / len(per_trade)
        summary.append(("per trade", f"{usd(average)} average over {len(per_trade)} trades"))
    parts = [f"<b>LLM and research spend</b> <i>({esc(utc(now))})</i>", pairs(summary)]
    lines = cost_breakdown(deps.db, start, start + timedelta(days=1), deps.run_id)
    if lines:
        rows = [("model", "purpose", "calls", "USD")]
        rows += [(line.model, line.purpose, f"{line.calls}" + (f" ({line.failed}✗)" if line.failed else ""),
                  usd(line.cost_usd)) for line in lines]
        parts.append("<b>Today by model and purpose</b>\n" + table(rows, right=(2, 3)))
    if per_trade:
        recent = list(per_trade.items())[-RECENT_TRADES:]
        parts.append("<b>Latest trades</b>\n" + table([(f"#{tid}", usd(cost)) for tid, cost in recent], right=(1,)))
    return Reply("\n\n".join(parts))
