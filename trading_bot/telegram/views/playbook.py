"""/playbook: the current playbook version and what the last versions changed."""

from __future__ import annotations

from typing import Any

from trading_bot.storage.repos import playbooks
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import esc, quote, utc
from trading_bot.telegram.views import Reply, Request, UsageError

RECENT_VERSIONS = 3
MAX_CHANGES = 6


def playbook_view(deps: BotDeps, request: Request) -> Reply:
    if request.args:
        raise UsageError("usage: /playbook (no arguments)")
    versions = playbooks.all_versions(deps.db)
    if not versions:
        return Reply("No playbook stored yet: the default (version 1) is written at the first analysis.")
    current = versions[-1]
    content = current.content
    facts = [f"<b>Playbook v{current.version}</b> · {esc(current.created_by)} · {esc(utc(current.created_at))}"]
    if isinstance(content.get("strategies"), list):
        names = ", ".join(str(s.get("name", "?")) for s in content["strategies"] if isinstance(s, dict))
        facts.append(f"strategies: {esc(names) or 'none'}")
    stances = _stances(content)
    if stances:
        facts.append(f"regimes: {esc(stances)}")
    facts.append(f"lessons: {len(content.get('lessons') or [])} · {len(versions)} versions in total")
    parts = ["\n".join(facts)]
    for row in reversed(versions[-RECENT_VERSIONS:]):
        changes = [f"• {quote(_change_text(c), 200)}" for c in row.change_log[:MAX_CHANGES]] or ["• (no change log)"]
        more = len(row.change_log) - MAX_CHANGES
        if more > 0:
            changes.append(f"• … and {more} more")
        parts.append(f"<b>v{row.version}</b> ({esc(row.created_by)}, {esc(utc(row.created_at))})\n" + "\n".join(changes))
    return Reply("\n\n".join(parts))


def _stances(content: dict[str, Any]) -> str:
    regimes = content.get("regimes")
    if not isinstance(regimes, dict):
        return ""
    return ", ".join(f"{name} {rule.get('stance', '?')}" for name, rule in regimes.items() if isinstance(rule, dict))


def _change_text(change: Any) -> str:
    """Change-log entries are strings (reflection) or {field, change, value, reason} records."""
    if isinstance(change, dict):
        text = " ".join(str(change[k]) for k in ("field", "change", "value") if change.get(k))
        return f"{text} ({change['reason']})" if change.get("reason") else text
    return str(change)
