"""/reflect [note] (admins): queue a deep reflection, the Celery task `reflect.deep` (no arguments)
that celeryconfig routes to the `reflect` queue; sent by name, so the bot needs no pipeline code.
Who asked, and why, is announced on `system:alerts` (and so reaches every chat) and logged."""

from __future__ import annotations

from trading_bot.domain.events import Alert
from trading_bot.logs import get_logger
from trading_bot.storage.streams import SYSTEM_ALERTS, publish
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import code, esc, quote
from trading_bot.telegram.views import Reply, Request

log = get_logger(__name__)
REFLECT_TASK = "reflect.deep"
MAX_NOTE = 200


def reflect_view(deps: BotDeps, request: Request) -> Reply:
    note = " ".join(request.args)[:MAX_NOTE]
    result = deps.send_task(REFLECT_TASK)
    log.info("deep_reflection_requested", actor=request.actor, task_id=result.id, note=note)
    message = f"deep reflection requested by {request.actor}" + (f": {note}" if note else "")
    publish(deps.redis, deps.keys, SYSTEM_ALERTS, Alert(
        severity="INFO", kind="reflection_requested", message=message, ts=deps.now(),
        data={"actor": request.actor, "task_id": result.id}))
    return Reply(f"🪞 Deep reflection queued (task {code(result.id)}), requested by {esc(request.actor)}"
                 + (f": {quote(note, MAX_NOTE)}" if note else "")
                 + ".\nA new playbook version appears in /playbook when it is accepted.")
