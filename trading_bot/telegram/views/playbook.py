"""/playbook: the current playbook version (strategies, regime stances, calibration, latest lessons)
and what the last versions changed."""

from __future__ import annotations

from pydantic import ValidationError

from trading_bot.domain.playbook import Playbook
from trading_bot.storage.repos import playbooks
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, number, quote, utc
from trading_bot.telegram.views import Reply, Request, UsageError

RECENT_VERSIONS = 3
RECENT_LESSONS = 3
MAX_CHANGES = 6


def playbook_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /playbook (no arguments)")
    versions = playbooks.all_versions(deps.db)
    if not versions:
        return Reply("No playbook stored yet: the default (version 1) is written at the first analysis.")
    current = versions[-1]
    head = f"<b>Playbook v{current.version}</b> · {esc(current.created_by)} · {esc(utc(current.created_at))} · " \
           f"{len(versions)} versions in total"
    try:
        parts = [head, _summary(Playbook.model_validate(current.content))]
    except ValidationError as exc:
        parts = [head, f"⚠️ the stored document does not validate ({exc.error_count()} errors)"]
    for row in reversed(versions[-RECENT_VERSIONS:]):
        changes = [f"• {quote(str(change), 300)}" for change in row.change_log[:MAX_CHANGES]] or ["• (no change log)"]
        if len(row.change_log) > MAX_CHANGES:
            changes.append(f"• … and {len(row.change_log) - MAX_CHANGES} more")
        title = f"<b>v{row.version}</b> ({esc(row.created_by)}, {esc(utc(row.created_at))})"
        parts.append("\n".join([title, *changes]))
    return Reply("\n\n".join(parts))


def _summary(playbook: Playbook) -> str:
    strategies = ", ".join(f"{s.name} ({', '.join(s.regimes)})" + ("" if s.enabled else " off")
                           for s in playbook.strategies)
    stances = " · ".join(f"{regime} {rule.stance}" for regime, rule in playbook.regimes.items())
    lines = [f"strategies: {esc(strategies)}", f"regimes: {esc(stances)}",
             f"trades from confidence {number(playbook.calibration.min_confidence_to_trade, 2)} · "
             f"{len(playbook.lessons)} lessons"]
    if playbook.lessons:
        lines.append("<b>Latest lessons</b>")
        lines += [f"• {quote(lesson.text, 300)} <i>({esc(lesson.source)})</i>"
                  for lesson in reversed(playbook.lessons[-RECENT_LESSONS:])]
    return "\n".join(lines)
