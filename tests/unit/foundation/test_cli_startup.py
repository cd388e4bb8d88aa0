"""`trading-bot` starts without the heavy libraries (benchmarks/bench_startup.py times it; these
tests are untimed): `--help` lists the commands from `trading_bot.cli.COMMANDS` without importing
a command module."""

from __future__ import annotations

import inspect
import subprocess
import sys

import typer

from tests.kit.cli import ROOT, clean_env
from trading_bot.cli import COMMANDS, build_app

HEAVY = ("pandas", "pandas_ta", "talib", "numpy", "matplotlib", "celery", "anthropic", "telegram", "okx", "httpx",
         "aiohttp", "sqlalchemy", "psycopg", "redis", "alembic", "structlog", "pydantic_settings")
PROBE = """
import sys
from trading_bot.cli import main
sys.argv = ["trading-bot", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    assert exit.code in (0, None), exit.code
print("MODULES", *sorted(sys.modules))
"""


def modules_after(*args: str) -> set[str]:
    """The modules a `trading-bot ARGS` process has imported when it ends."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=clean_env(), cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.rsplit("MODULES", 1)[1].split())


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages)


def test_the_listing_is_the_commands_as_registered() -> None:
    root = typer.main.get_group(build_app())
    assert list(root.commands) == list(COMMANDS)
    for name, command in root.commands.items():
        assert COMMANDS[name].summary == inspect.cleandoc(command.help or "").split("\n\n")[0], name


def test_help_imports_no_command_module() -> None:
    modules = modules_after("--help")
    assert loaded(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("trading_bot.")) == ["trading_bot.cli"]

