"""/reflect (admins): queue a deep reflection, the Celery task `reflect.deep` that celeryconfig
routes to the `reflect` queue (the pipeline implements it); sent by name, so the bot needs no
pipeline code. The task receives `requested_by` (telegram:<user id>) and an optional `note`."""

from __future__ import annotations

from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import code, esc, quote
from trading_bot.telegram.views import Reply, Request

REFLECT_TASK = "reflect.deep"
MAX_NOTE = 200


def reflect_view(deps: BotDeps, request: Request) -> Reply:
    note = " ".join(request.args)[:MAX_NOTE] or None
    result = deps.send_task(REFLECT_TASK, kwargs={"requested_by": request.actor, "note": note})
    return Reply(f"🪞 Deep reflection queued (task {code(result.id)}), requested by {esc(request.actor)}"
                 + (f": {quote(note, MAX_NOTE)}" if note else "")
                 + ".\nA new playbook version appears in /playbook when it is accepted.")
