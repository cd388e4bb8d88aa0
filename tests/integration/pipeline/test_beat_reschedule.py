"""A running beat (a real `celery beat` process with RedBeat) follows a cycle interval changed at
runtime (Telegram's /config cycle_seconds rewrites its entries in Redis) without a restart."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from celery import Celery

from celeryconfig import build_config
from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from trading_bot.config import Settings, load_settings
from trading_bot.pipeline.schedule import reschedule_cycles

SENT = "Sending due task cycle-BTC-USDT-SWAP"


def test_the_running_beat_takes_a_new_cycle_interval_from_its_next_tick(settings: Settings) -> None:
    env = clean_env(REDIS_URL=settings.redis_dsn(), REDIS_NAMESPACE=settings.redis_namespace,
                    DATABASE_URL=settings.database_dsn().replace("+psycopg", ""), VAR_DIR=str(settings.var_dir),
                    CYCLE_SECONDS="60", INSTRUMENTS="BTC-USDT-SWAP",
                    # real-time cycles fire on the minute + offset: the first one ~12 s from now
                    CYCLE_OFFSET_SECONDS=str((datetime.now(UTC).second + 12) % 60))
    beat = Proc(python_module("celery", "-A", "trading_bot.celery_app", "beat", "--loglevel", "INFO"), env,
                name="beat")
    try:
        beat.wait_for(SENT, timeout=90)
        time.sleep(8)
        before = beat.output.count(SENT)
        assert before <= 2  # 60 s apart: at most one more, at a minute boundary

        faster = load_settings(redis_url=settings.redis_dsn(), redis_namespace=settings.redis_namespace,
                               var_dir=settings.var_dir, cycle_seconds=5, instruments=["BTC-USDT-SWAP"])
        app = Celery("test-telegram")
        app.conf.update(build_config(faster))
        assert reschedule_cycles(app, faster) == ["cycle-BTC-USDT-SWAP"]
        time.sleep(17)
        assert beat.output.count(SENT) - before >= 3, beat.output[-3000:]
    finally:
        beat.stop()
