"""/halt [reason], /resume (admins) and the state line of /status, through the risk gate's bot
state service (the same one `trading-bot halt/resume/state` uses); /reflect queues a deep
reflection (Celery task `reflect.deep`, routed to the `reflect` queue by celeryconfig)."""

from __future__ import annotations

from datetime import datetime

from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import code, esc, quote, utc
from trading_bot.telegram.views import Reply, Request

REFLECT_TASK = "reflect.deep"
MAX_REASON = 200


def state_summary(deps: BotDeps, now: datetime) -> str:
    raise NotImplementedError("waiting for risk/state.py")


def halt_view(deps: BotDeps, request: Request) -> Reply:
    raise NotImplementedError("waiting for risk/state.py")


def resume_view(deps: BotDeps, request: Request) -> Reply:
    raise NotImplementedError("waiting for risk/state.py")


def reflect_view(deps: BotDeps, request: Request) -> Reply:
    note = " ".join(request.args)[:MAX_REASON] or None
    result = deps.send_task(REFLECT_TASK, kwargs={"requested_by": request.actor, "note": note})
    return Reply(f"🪞 Deep reflection queued (task {code(result.id)}), requested by {esc(request.actor)}"
                 + (f": {quote(note, MAX_REASON)}" if note else "")
                 + ".\nA new playbook version appears in /playbook when it is accepted.")
