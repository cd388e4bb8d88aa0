"""Runtime overrides of a few NON-risk settings (Telegram `/config key value`).

Where they live: the Redis hash `<REDIS_NAMESPACE>:config:overrides`, field = setting name in
lower case, value = the raw text as typed (validated before it is stored). Every change is appended
to the list `<ns>:config:audit` (newest first, last 200) with who made it and when, and announced
on `system:alerts`.

Who reads them: every pipeline task calls `effective_settings()` at its start (the cycle slot,
the shadow share, the reflection cadence), the Telegram alert loop on every pass; a `cycle_seconds`
change also rewrites beat's cycle entries in RedBeat's Redis store (`pipeline/schedule.py`
`reschedule_cycles`; the running beat reads them on its next tick) and a beat that starts later
builds its schedule with the overrides. An override that no longer validates (after a deploy changed
the rules) is ignored with a warning, never half-applied. Environment and
`.env` stay the baseline; clearing an override (`/config key reset`) returns to it.

Risk limits are never overridable: they are constants in `risk/limits.py`, and the optional RISK_*
settings may only tighten them at start-up. Secrets and connection settings are not either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import redis
from pydantic import ValidationError

from trading_bot.config import SECRET_FIELDS, ConfigError, Settings, validation_message
from trading_bot.logs import get_logger
from trading_bot.risk.limits import HARD_LIMITS, RISK_SETTINGS, RiskLimits
from trading_bot.storage.streams import Keys

log = get_logger(__name__)
AUDIT_LENGTH = 200
CLEAR_WORDS = frozenset({"reset", "default", "unset"})

# setting → what changing it does (shown by /config)
OVERRIDABLE: dict[str, str] = {
    "cycle_seconds": "seconds between decision cycles (beat's schedule is rewritten; applies from its next tick)",
    "silent_hours_utc": "UTC hours when INFO and WARN alerts wait, e.g. 22-6 ('off' = never silent)",
    "shadow_analysis_fraction": "share of screened-out cycles analysed anyway to audit the screener (0-1)",
    "deep_reflection_every_trades": "closed trades between deep reflections",
    "deep_reflection_every_hours": "hours between deep reflections",
}
OFF_WORDS = frozenset({"off", "none"})
NULLABLE = frozenset({"silent_hours_utc"})

# The limits of risk/limits.py under their own names and as RISK_* settings: refused for everyone.
RISK_LIMIT_NAMES = frozenset({f.name for f in fields(RiskLimits)} | set(RISK_SETTINGS) | {"leverage"})


class OverrideRefused(ValueError):
    """The change is not allowed or not valid; `str()` explains why in one or two sentences."""


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str
    actor: str
    at: datetime

    def to_json(self) -> str:
        return json.dumps({"key": self.key, "before": self.before, "after": self.after, "actor": self.actor,
                           "at": self.at.isoformat()})


def normalise(key: str) -> str:
    return key.strip().lower().replace("-", "_")


def is_risk_limit(key: str) -> bool:
    name = normalise(key)
    return name in RISK_LIMIT_NAMES or name.startswith("risk_")


def refusal(key: str) -> str | None:
    """Why `key` may not be changed at runtime, or None when it may."""
    name = normalise(key)
    if is_risk_limit(name):
        return (f"{name} is a risk limit{_hard_value(name)}. Risk limits are constants in the code "
                "(trading_bot/risk/limits.py) and nothing can raise them: not the configuration, the playbook, "
                "the LLM or Telegram, whoever asks. The RISK_* environment variables may only tighten them, "
                "at start-up.")
    if name in SECRET_FIELDS:
        return f"{name} is a secret; secrets are only read from the environment."
    if name not in Settings.model_fields:
        return f"there is no setting called {name}."
    if name not in OVERRIDABLE:
        allowed = ", ".join(sorted(OVERRIDABLE))
        return f"{name} can only be changed in the environment (restart needed). Changeable at runtime: {allowed}."
    return None


def _hard_value(name: str) -> str:
    limit = RISK_SETTINGS[name][0] if name in RISK_SETTINGS else name
    value = getattr(HARD_LIMITS, limit, None)
    return "" if value is None else f" (hard limit: {limit} = {value})"


def overrides(client: redis.Redis, keys: Keys) -> dict[str, str]:
    return dict(client.hgetall(keys.custom("config", "overrides")))  # type: ignore[arg-type]


def _validated(settings: Settings, changes: dict[str, Any]) -> Settings:
    values = {name: getattr(settings, name) for name in Settings.model_fields}
    try:
        return Settings(_env_file=None, **{**values, **changes})  # type: ignore[call-arg]
    except ValidationError as exc:
        raise ConfigError(validation_message(exc)) from None


def _parsed(key: str, raw: str) -> Any:
    return None if key in NULLABLE and raw.strip().lower() in OFF_WORDS else raw.strip()


def effective_settings(settings: Settings, client: redis.Redis, keys: Keys) -> Settings:
    """`settings` with every stored override that still validates applied."""
    applied = settings
    for key, raw in sorted(overrides(client, keys).items()):
        if refusal(key) is not None:
            log.warning("config_override_ignored", key=key, reason="not overridable")
            continue
        try:
            applied = _validated(applied, {key: _parsed(key, raw)})
        except ConfigError as exc:
            log.warning("config_override_ignored", key=key, reason=str(exc))
    return applied


def set_override(settings: Settings, client: redis.Redis, keys: Keys, key: str, raw: str, actor: str,
                 now: datetime) -> Change:
    """Validate and store one override (or clear it with reset/default/unset); OverrideRefused explains."""
    name = normalise(key)
    why = refusal(name)
    if why is not None:
        raise OverrideRefused(why)
    current = effective_settings(settings, client, keys)
    before = _shown(getattr(current, name))
    if raw.strip().lower() in CLEAR_WORDS:
        client.hdel(keys.custom("config", "overrides"), name)
        after = _shown(getattr(settings, name))
    else:
        try:
            after = _shown(getattr(_validated(current, {name: _parsed(name, raw)}), name))
        except ConfigError as exc:
            raise OverrideRefused(str(exc)) from None
        client.hset(keys.custom("config", "overrides"), name, raw.strip())
    change = Change(name, before, after, actor, now)
    with client.pipeline() as pipe:
        pipe.lpush(keys.custom("config", "audit"), change.to_json())
        pipe.ltrim(keys.custom("config", "audit"), 0, AUDIT_LENGTH - 1)
        pipe.execute()
    log.info("config_override_set", key=name, before=before, after=after, actor=actor)
    return change


def _shown(value: Any) -> str:
    return "(unset)" if value is None else str(value)
