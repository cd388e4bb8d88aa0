"""/why <trade id | cycle id>: why the bot did what it did: the screener's verdict, the analyst's
decision with its reasoning and confidence, the risk gate's verdict, the trade's result, the cost
of the cycle's LLM calls and its stage timeline. LLM text is quoted (escaped, capped)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from trading_bot.storage.repos.cycle_story import CycleStory, cycle_story
from trading_bot.storage.repos.trades import TradeRow, get_trade, trade_of_cycle
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import code, esc, number, price, quote, table, usd, usdt, utc
from trading_bot.telegram.views import Reply, Request, UsageError, whole_number

USAGE = "usage: /why <trade id | cycle id>, e.g. /why 412 or /why live:BTC-USDT-SWAP:20260204T2345"
CYCLE_ID = re.compile(r"^[A-Za-z0-9:_.-]{1,64}$")


def why_view(deps: BotDeps, request: Request) -> Reply:
    if len(request.args) != 1:
        raise UsageError(USAGE)
    target = request.args[0].lstrip("#")
    if target.isascii() and target.isdigit():
        trade = get_trade(deps.db, whole_number(target, "trade id", 1, 2**63 - 1))
        if trade is None:
            return Reply(f"No trade #{esc(target)}.")
        if trade.cycle_id is None:
            return Reply(f"<b>Trade #{trade.id}</b>\n\n{_trade(trade)}\n\nNo decision cycle is recorded for it.")
        story = cycle_story(deps.db, trade.cycle_id)
    elif CYCLE_ID.match(target):
        story = cycle_story(deps.db, target)
        trade = trade_of_cycle(deps.db, target) if story else None
    else:
        raise UsageError(USAGE)
    if story is None:
        return Reply(f"No decision cycle {code(target)}.")
    return Reply(render(story, trade))


def render(story: CycleStory, trade: TradeRow | None) -> str:
    cycle = story.cycle
    title = f"<b>Why · {'trade #' + str(trade.id) if trade else 'cycle'}</b> {code(cycle.id)}"
    facts = f"{esc(cycle.instrument)} · {esc(utc(cycle.started_at))} · {esc(cycle.trigger)} · outcome " \
            f"<b>{esc(cycle.outcome or cycle.stage)}</b>" + (" · shadow analysis" if cycle.shadow else "")
    parts = [f"{title}\n{facts}", _screener(story), _decision(cycle.decision), _risk(story)]
    if trade is not None:
        parts.append(f"<b>Trade</b> {_trade(trade)}")
    if cycle.error:
        parts.append(f"<b>Error</b> {quote(cycle.error, 300)}")
    parts += [_cost(story), _timeline(cycle.timeline)]
    return "\n\n".join(p for p in parts if p)


def _screener(story: CycleStory) -> str:
    if not story.screens:
        return "<b>Screener</b> no screen recorded"
    lines = []
    for screen in story.screens:
        verdict = "pass" if screen.signal else "quiet"
        extra = f" · bypass {esc(screen.bypass_reason)}" if screen.bypass_reason else ""
        extra += " · unparseable answer" if screen.parse_error else ""
        lines.append(f"<b>Screener</b> {esc(screen.model)} → {verdict}{extra}\n{quote(screen.reason, 300)}")
    return "\n".join(lines)


def _decision(decision: dict[str, Any] | None) -> str:
    if not decision:
        return "<b>Decision</b> none (the analyst was not asked)"
    head = f"<b>Decision</b> {esc(decision.get('action', '?'))} · confidence " \
           f"{number(decision.get('confidence'), 2)} · {esc(decision.get('strategy') or 'no strategy')} · " \
           f"{esc(decision.get('model') or '?')}"
    lines = [head]
    if decision.get("action") in ("OPEN_LONG", "OPEN_SHORT"):
        lines.append(f"size {number(decision.get('size_pct'), 1)} % of equity · {number(decision.get('leverage'), 0)}× "
                     f"· entry {_px(decision.get('entry_price'))} · SL {_px(decision.get('stop_loss'))} "
                     f"· TP {_px(decision.get('take_profit'))}")
    lines.append(f"<blockquote>{quote(decision.get('reasoning'), 900) or '(no reasoning given)'}</blockquote>")
    if decision.get("invalidation"):
        lines.append(f"invalidation: {quote(decision['invalidation'], 200)}")
    return "\n".join(lines)


def _px(value: Any) -> str:
    """A price from the decision JSON (strings, as pydantic dumps Decimals)."""
    try:
        return price(Decimal(str(value))) if value is not None else "n/a"
    except InvalidOperation:
        return esc(value)


def _risk(story: CycleStory) -> str:
    verdict = story.cycle.verdict
    if story.rejections:
        lines = [f"<b>Risk gate</b> rejected by {esc(r.rule)}: {quote(r.reason, 300)}" for r in story.rejections]
        return "\n".join(lines)
    if verdict:
        state = "approved" if verdict.get("approved") else f"rejected by {esc(verdict.get('rule') or '?')}"
        return f"<b>Risk gate</b> {state}: {quote(str(verdict.get('reason') or ''), 300)}"
    return "<b>Risk gate</b> not reached"


def _trade(trade: TradeRow) -> str:
    if trade.status == "open":
        return f"{trade.side} {number(trade.size, 2)} contracts at {price(trade.entry_px)}, still open"
    r_text = f" · R {number(trade.r_multiple, 2, signed=True)}" if trade.r_multiple is not None else ""
    return (f"{trade.side} {price(trade.entry_px)} → {price(trade.exit_px)} · closed by "
            f"{esc(trade.close_reason or '?')} at {esc(utc(trade.exit_ts))} · net {usdt(trade.net_pnl, signed=True)}"
            f"{r_text}")


def _cost(story: CycleStory) -> str:
    if not story.calls:
        return f"<b>Cost</b> {usd(story.cycle.cost_usd)} (no LLM calls recorded)"
    rows = [(c.purpose, c.model, f"{c.latency_ms / 1000:.1f}s", usd(c.cost_usd) + (" ✗" if c.error else ""))
            for c in story.calls]
    return f"<b>Cost</b> {usd(story.calls_cost)} in {len(story.calls)} calls\n{table(rows, right=(2, 3))}"


def _timeline(timeline: list[Any]) -> str:
    rows = [(str(e.get("stage", "?")), f"{int(e.get('ms') or 0):,} ms", str(e.get("outcome") or ""))
            for e in timeline if isinstance(e, dict)]
    if not rows:
        return ""
    total = sum(int(e.get("ms") or 0) for e in timeline if isinstance(e, dict))
    return f"<b>Timeline</b> {total / 1000:.1f} s\n{table(rows, right=(1,))}"
