"""Run the real `trading-bot` console entry point in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**overrides: str) -> dict[str, str]:
    """Environment without any of the bot's variables, plus `overrides`."""
    from trading_bot.config import Settings

    names = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in names and not k.startswith("FLOWER_")}
    env["TRADING_BOT_ENV_FILE"] = ""
    env.update(overrides)
    return env


PROBE = """
import sys
from trading_bot.cli import main
sys.argv = ["trading-bot", *sys.argv[1:]]
try:
    main()
except SystemExit as stop:
    assert stop.code in (0, None), stop.code
print("MODULES", *sorted(sys.modules))
"""


def modules_after(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules a `trading-bot ARGS` process has imported when it ends (it must succeed)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env if env is not None else clean_env(),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.rsplit("MODULES", 1)[1].split())


def of_packages(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "trading_bot", *args],
        env=env if env is not None else clean_env(),
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
