"""`trading-bot` starts without the heavy libraries (benchmarks/bench_startup.py times it; these
tests are untimed): `--help` lists the commands from `trading_bot.cli.COMMANDS` without importing
a command module."""

from __future__ import annotations

import inspect

import typer

from tests.kit.cli import modules_after, of_packages
from trading_bot.cli import COMMANDS, build_app

HEAVY = ("pandas", "pandas_ta", "talib", "numpy", "matplotlib", "celery", "anthropic", "telegram", "okx", "httpx",
         "aiohttp", "sqlalchemy", "psycopg", "redis", "alembic", "structlog", "pydantic_settings")


def test_the_listing_is_the_commands_as_registered() -> None:
    root = typer.main.get_group(build_app())
    assert list(root.commands) == list(COMMANDS)
    for name, command in root.commands.items():
        assert COMMANDS[name].summary == inspect.cleandoc(command.help or "").split("\n\n")[0], name


def test_help_imports_no_command_module() -> None:
    modules = modules_after("--help")
    assert of_packages(modules, HEAVY) == []
    assert sorted(m for m in modules if m.startswith("trading_bot.")) == ["trading_bot.cli"]

