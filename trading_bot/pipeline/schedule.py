"""Celery beat: one cycle entry per instrument every CYCLE_SECONDS, aligned to candle closes with
a small offset, plus the housekeeping entries. Exactly one beat runs: RedBeat holds a Redis lock
(a second beat waits for it) and the cycle's slot is unique in `decision_cycles` besides.

Market time vs wall time: on the fast-forward simulator the venue's clock runs SIM_SPEED times
faster than the wall, so every period here is divided by that speed, and the tasks take their
slot from the venue clock. Real time: cycle entries use an rrule anchored at 00:00 UTC + offset,
so they fire at :00:05, :05:05, … for 300 s cycles (candles close on those boundaries).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import schedule as every
from redbeat.schedules import rrule
from redis import exceptions as redis_errors

from trading_bot.config import Settings

EXPIRY_FRACTION = 0.8  # a cycle message older than this share of the interval is dropped, not run late
# A killed beat's lock lives on for up to its TTL; a standby or restarted beat tries it every
# MAX_LOOP_SECONDS (RedBeat polls at beat's loop interval), so it takes over within 25 s.
LOCK_TIMEOUT_SECONDS = 20
MAX_LOOP_SECONDS = 5  # beat wakes at least this often (and extends its lock)

HOUSEKEEPING: dict[str, tuple[str, float, tuple[Any, ...]]] = {
    # name: (task, market seconds, args)
    "reconcile": ("maintenance.reconcile", 60, ()),
    "sweep-cycles": ("maintenance.sweep_cycles", 60, ()),
    "journal-closes": ("reflect.journal_closes", 60, ()),
    "performance-hour": ("maintenance.performance_snapshot", 3600, ("hour",)),
    "performance-day": ("maintenance.performance_snapshot", 86400, ("day",)),
    "performance-week": ("maintenance.performance_snapshot", 7 * 86400, ("week",)),
    "deep-reflection-check": ("reflect.check_deep", 600, ()),
    "research-cache-cleanup": ("maintenance.cleanup_research_cache", 3600, ()),
}
EVERY_CYCLE = frozenset({"sweep-cycles"})  # also at least once per cycle interval (short test cycles)


def wall_seconds(settings: Settings, market_seconds: float) -> float:
    return max(1.0, market_seconds / settings.market_speed)


def cycle_schedule(settings: Settings, now: datetime | None = None) -> Any:
    period = wall_seconds(settings, settings.cycle_seconds)
    if settings.market_speed != 1.0:
        return every(timedelta(seconds=period))
    day = (now or datetime.now(UTC)).astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    anchor = day + timedelta(seconds=settings.cycle_offset_seconds) - timedelta(days=1)
    return rrule("SECONDLY", dtstart=anchor, interval=settings.cycle_seconds)


def cycle_entries(settings: Settings, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    cycle_expiry = wall_seconds(settings, settings.cycle_seconds) * EXPIRY_FRACTION
    return {f"cycle-{inst_id}": {"task": "pipeline.start_cycle", "schedule": cycle_schedule(settings, now),
                                 "args": (inst_id,), "options": {"expires": cycle_expiry}}
            for inst_id in settings.instruments}


def beat_schedule(settings: Settings, now: datetime | None = None) -> dict[str, dict[str, Any]]:
    entries = cycle_entries(settings, now)
    for name, (task, market_seconds, args) in HOUSEKEEPING.items():
        if name in EVERY_CYCLE:
            market_seconds = min(market_seconds, settings.cycle_seconds)
        period = wall_seconds(settings, market_seconds)
        entries[name] = {"task": task, "schedule": every(timedelta(seconds=period)), "args": args,
                         "options": {"expires": period * EXPIRY_FRACTION}}
    return entries


def reschedule_cycles(app: Any, settings: Settings) -> list[str]:
    """Rewrite the cycle entries in RedBeat's Redis store with `settings.cycle_seconds` (a
    Telegram `/config cycle_seconds` change): the running beat reads entries from Redis on every
    tick, so the new interval applies from the next one, and each entry keeps its last run."""
    from redbeat import RedBeatSchedulerEntry

    names = []
    for name, entry in cycle_entries(settings).items():
        fresh = RedBeatSchedulerEntry(name, entry["task"], entry["schedule"], args=list(entry["args"]),
                                      options=entry["options"], app=app)
        try:
            fresh.last_run_at = RedBeatSchedulerEntry.from_key(fresh.key, app=app).last_run_at
        except KeyError:
            pass  # no beat has run yet: the entry starts fresh
        fresh.save()
        names.append(name)
    return names


def slot_for(now: datetime, cycle_seconds: int, offset_seconds: int) -> datetime:
    """The scheduled slot a cycle started at `now` (venue time) belongs to: the latest
    boundary + offset not after `now`. Two beats firing in one slot get the same value."""
    epoch = int(now.timestamp()) - offset_seconds
    start = epoch - epoch % cycle_seconds + offset_seconds
    return datetime.fromtimestamp(start, UTC)


def beat_config(settings: Settings) -> dict[str, Any]:
    """Celery settings for the beat process (merged into celeryconfig). The schedule honours the
    runtime overrides stored in Redis (a restarted beat keeps a /config cycle_seconds change)."""
    settings = _with_overrides(settings)
    return {
        "beat_scheduler": "redbeat.RedBeatScheduler",
        "redbeat_redis_url": settings.redis_dsn(),
        "redbeat_key_prefix": f"{settings.redis_namespace}:redbeat",
        "redbeat_lock_timeout": LOCK_TIMEOUT_SECONDS,
        # said explicitly (RedBeat 2.4 falls back to broker_transport_options, warns that 2.5 will
        # stop, and forwards none of them to its client anyway: they are kombu's, not redis-py's)
        "redbeat_redis_options": {},
        "beat_max_loop_interval": MAX_LOOP_SECONDS,
        "beat_schedule": beat_schedule(settings),
    }


def _with_overrides(settings: Settings) -> Settings:
    from trading_bot.runtime_config import effective_settings
    from trading_bot.storage.redis_client import get_redis
    from trading_bot.storage.streams import Keys

    try:
        return effective_settings(settings, get_redis(settings), Keys(settings.redis_namespace))
    except (OSError, redis_errors.RedisError):
        return settings  # Redis is not up yet (embedded start, a test importing the config): the environment
