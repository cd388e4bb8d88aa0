"""/config [key] [value] (admin): the effective settings with secrets masked (runtime overrides
marked), one setting with whether it can change, or a change of a whitelisted non-risk setting
(see `trading_bot/runtime_config.py`). Risk limits are refused, with the reason, for everyone."""

from __future__ import annotations

from trading_bot.cli.config_cmd import effective_lines
from trading_bot.domain.events import Alert
from trading_bot.runtime_config import (
    OVERRIDABLE,
    OverrideRefused,
    is_risk_limit,
    normalise,
    overrides,
    refusal,
    set_override,
)
from trading_bot.storage.streams import SYSTEM_ALERTS, publish
from trading_bot.telegram.deps import BotDeps
from trading_bot.telegram.format import code, esc, table
from trading_bot.telegram.views import Reply, Request, UsageError

USAGE = "usage: /config, /config <key>, /config <key> <value> or /config <key> reset"


def risk_refusal(request: Request) -> str | None:
    """The explanation for a risk-limit key, whoever asks (checked before the admin check)."""
    if request.args and is_risk_limit(request.args[0]):
        return f"⛔ Refused: {esc(refusal(request.args[0]))}"
    return None


def config_view(deps: BotDeps, request: Request) -> Reply:
    if not request.args:
        return Reply(_all(deps))
    key = normalise(request.args[0])
    if len(request.args) == 1:
        return Reply(_one(deps, key))
    if len(request.args) > 2:
        raise UsageError(USAGE)
    try:
        change = set_override(deps.settings, deps.redis, deps.keys, key, request.args[1], request.actor, deps.now())
    except OverrideRefused as exc:
        return Reply(f"⛔ Refused: {esc(exc)}")
    if change.key == "cycle_seconds":
        deps.reschedule(deps.live_settings())
    publish(deps.redis, deps.keys, SYSTEM_ALERTS, Alert(
        severity="INFO", kind="config_changed", ts=change.at, data={"key": change.key, "actor": change.actor},
        message=f"{change.key}: {change.before} → {change.after} (by {change.actor})"))
    return Reply(f"✅ {code(change.key)}: {esc(change.before)} → <b>{esc(change.after)}</b>\n"
                 "<i>Runtime override, kept in Redis; /config " + esc(change.key) + " reset returns to the "
                 "environment's value.</i>")


def _all(deps: BotDeps) -> str:
    stored = overrides(deps.redis, deps.keys)
    live = {name: value for name, value in effective_lines(deps.live_settings())}
    rows = [(name, value + (" *" if name.lower() in stored else "")) for name, value in live.items()
            if not name.startswith("#")]
    changeable = ", ".join(code(name) for name in sorted(OVERRIDABLE))
    return (f"<b>Effective configuration</b> (secrets masked; * = runtime override)\n{table(rows)}\n\n"
            f"Changeable here: {changeable}")


def _one(deps: BotDeps, key: str) -> str:
    why = refusal(key)
    if key.upper() not in dict(effective_lines(deps.settings)):
        return f"⛔ {esc(why)}"
    value = dict(effective_lines(deps.live_settings()))[key.upper()]
    stored = overrides(deps.redis, deps.keys).get(key)
    origin = "runtime override" if stored is not None else "environment"
    status = f"changeable: {esc(OVERRIDABLE[key])}" if why is None else f"not changeable here: {esc(why)}"
    return f"{code(key)} = <b>{esc(value)}</b> ({origin})\n{status}"
