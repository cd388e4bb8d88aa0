"""`trading-bot cycle` runs outside Celery, so it builds its ports with `ports_in_force`: the
process's ports with Telegram's runtime overrides applied, as every task gets them. Before, the
manual cycle ran with the environment's settings alone (a /config shadow_analysis_fraction or
cycle_seconds change did not reach it). Real simulator process, Redis and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.kit.stack import running_stack
from trading_bot.pipeline.wiring import live_ports, ports_in_force
from trading_bot.runtime_config import set_override
from trading_bot.storage.redis_client import get_redis
from trading_bot.storage.streams import Keys


def test_ports_in_force_carry_the_runtime_overrides(db_url: str, redis_url: str, namespace: str,
                                                    tmp_path: Path) -> None:
    with running_stack(db_url, redis_url, namespace, tmp_path, SHADOW_ANALYSIS_FRACTION="0.1",
                       CYCLE_SECONDS="300") as stack:
        stack.start_sim()
        settings = stack.settings
        before = ports_in_force(settings)
        assert (before.config.shadow_fraction, before.config.cycle_seconds) == (0.1, 300)
        client, keys = get_redis(settings), Keys(settings.redis_namespace)
        set_override(settings, client, keys, "shadow_analysis_fraction", "1", "telegram:1", datetime.now(UTC))
        set_override(settings, client, keys, "cycle_seconds", "120", "telegram:1", datetime.now(UTC))

        ports = ports_in_force(settings)
        assert (ports.config.shadow_fraction, ports.config.cycle_seconds) == (1.0, 120)
        process = live_ports(settings)
        assert ports.exchange is process.exchange and ports.db is process.db, "the process's ports, one copy"
        assert (process.config.shadow_fraction, process.config.cycle_seconds) == (0.1, 300), "left as they were"
