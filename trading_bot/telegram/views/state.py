"""/halt [reason] and /resume (admins), and the state line of /status, through the risk gate's bot
state service (`risk/state.py`, the same one `trading-bot halt/resume/state` uses): the transition is
recorded with who did it, cached in Redis, and announced on `system:alerts`."""

from __future__ import annotations

from trading_bot.risk.state import StateRecord, TransitionRefused
from trading_bot.risk.status import BotState
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, quote, utc
from trading_bot.telegram.views import Reply, Request

MAX_REASON = 200
ICONS = {BotState.RUNNING: "🟢", BotState.COOLDOWN: "🟡", BotState.HALTED: "🔴", BotState.EMERGENCY_HALTED: "🚨"}


def describe(record: StateRecord) -> str:
    until = f" until {esc(utc(record.until))}" if record.until else ""
    since = f"since {esc(utc(record.since))}" if record.since else "no state change recorded yet"
    return f"{ICONS[record.state]} <b>{record.state}</b>{until} · {since} · {esc(record.actor)}: " \
           f"{quote(record.reason, MAX_REASON)}"


def state_line(deps: BotDeps) -> str:
    return describe(deps.state.current())


def halt_view(deps: BotDeps, request: Request) -> Reply:
    reason = " ".join(request.args)[:MAX_REASON] or "halted from Telegram"
    try:
        record = deps.state.halt(request.actor, reason)
    except TransitionRefused as exc:
        return Reply(f"Not halted: {esc(exc)}.")
    return Reply(f"{describe(record)}\nNo new entries from the next cycle on; open positions keep their "
                 "exchange-side stop-loss and take-profit. /resume to trade again.")


def resume_view(deps: BotDeps, request: Request) -> Reply:
    reason = " ".join(request.args)[:MAX_REASON] or "resumed from Telegram"
    try:
        record = deps.state.resume(request.actor, reason)
    except TransitionRefused as exc:
        return Reply(f"Not resumed: {esc(exc)}.")
    return Reply(f"{describe(record)}\nEntries are allowed again from the next cycle on.")
