"""`trading-bot status` as a real subprocess on the seeded 35-day history, the simulator down (its
clock falls back to the last recorded market time, so the output is fixed): what it prints, and
that its path imports no library it does not use."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import SeededDatabase
from tests.kit.cli import clean_env, modules_after, of_packages, run_cli
from tests.kit.sim import running_sim

SEEDED_STATUS = """\
state      RUNNING — cooldown ended (risk_gate)
as of      2026-02-05 00:00:05 UTC, local simulator (market time)
equity     10,119.39 USDT (available 9,969.51, unrealised +0.67)
today      PnL +0.00 USDT; realised +0.00 in 0 closed trades
LLM cost   $0.0024 today of $10 budget
positions  1 open
┏━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓
┃ instrument    ┃ side  ┃ size ┃ entry    ┃ stop-loss ┃ take-profit ┃ since       ┃
┡━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩
│ BTC-USDT-SWAP │ short │ 0.29 │ 103362.6 │ 104189.5  │ 101700.5    │ 02-04 23:45 │
└───────────────┴───────┴──────┴──────────┴───────────┴─────────────┴─────────────┘
last cycles
┏━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━┳━━━━━━━━━┓
┃ started (UTC)    ┃ instrument    ┃ outcome      ┃ decision   ┃ risk gate ┃ cost    ┃
┡━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━┩
│ 2026-02-05 00:00 │ BTC-USDT-SWAP │ screened_out │ -          │ -         │ $0.0024 │
│ 2026-02-04 23:45 │ BTC-USDT-SWAP │ filled       │ OPEN_SHORT │ approved  │ $0.0765 │
│ 2026-02-04 23:30 │ BTC-USDT-SWAP │ screened_out │ -          │ -         │ $0.0023 │
└──────────────────┴───────────────┴──────────────┴────────────┴───────────┴─────────┘
"""
UNUSED = ("pandas", "pandas_ta", "talib", "numpy", "matplotlib", "celery", "anthropic", "telegram", "okx", "httpx",
          "aiohttp", "alembic", "psutil")


def _env(seeded_db: SeededDatabase, redis_url: str, namespace: str, tmp_path: Path) -> dict[str, str]:
    return clean_env(DATABASE_URL=seeded_db.url, REDIS_URL=redis_url, REDIS_NAMESPACE=namespace,
                     VAR_DIR=str(tmp_path), COLUMNS="120")


def test_status_of_the_seeded_history(seeded_db: SeededDatabase, redis_url: str, namespace: str,
                                      tmp_path: Path) -> None:
    shown = run_cli("status", "--cycles", "3", env=_env(seeded_db, redis_url, namespace, tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == SEEDED_STATUS
    assert "the simulator's clock is unreachable; using the last recorded market time" in shown.stderr


def test_status_imports_only_what_it_uses(seeded_db: SeededDatabase, redis_url: str, namespace: str,
                                          tmp_path: Path) -> None:
    modules = modules_after("status", env=_env(seeded_db, redis_url, namespace, tmp_path))
    assert of_packages(modules, UNUSED) == []
    assert "trading_bot.cli.status_view" in modules


def test_status_reads_the_running_simulators_clock_without_keys_or_the_okx_adapter(
        seeded_db: SeededDatabase, redis_url: str, namespace: str, tmp_path: Path) -> None:
    """With the simulator up, `status` stamps with its market time, read from the public
    `/public/time` over the standard library: no credentials file is needed (none is in VAR_DIR)
    and neither httpx nor python-okx is imported (they cost a one-shot command ~0.3 s)."""
    start = seeded_db.seed.live.end + timedelta(days=3, hours=5)  # not a time the database has seen
    with running_sim(start=start) as sim:  # paused: its clock stays at `start`
        env = {**_env(seeded_db, redis_url, namespace, tmp_path), "SIM_PORT": str(sim.server.port)}
        shown = run_cli("status", "--cycles", "1", env=env)
        modules = modules_after("status", env=env)
    assert shown.returncode == 0, shown.stderr
    as_of = next(line for line in shown.stdout.splitlines() if line.startswith("as of"))
    assert as_of.startswith(f"as of      {start:%Y-%m-%d %H:%M:%S} UTC"), as_of
    assert "unreachable" not in shown.stderr
    assert not (tmp_path / "sim" / "credentials.json").exists()
    assert of_packages(modules, UNUSED) == []
