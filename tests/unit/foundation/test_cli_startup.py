"""`trading-bot` starts without the heavy libraries (benchmarks/bench_startup.py times it; these
tests are untimed): `--help` lists the commands from `trading_bot.cli.COMMANDS` without importing
a command module, and a command's own `--help` builds its parser without the libraries its work
needs (pydantic-settings and structlog, which every command bootstraps with, may load)."""

from __future__ import annotations

import inspect

import pytest
import typer

from tests.kit.cli import modules_after, of_packages
from trading_bot.cli import COMMANDS, build_app

HEAVY = ("pandas", "pandas_ta", "talib", "numpy", "matplotlib", "celery", "anthropic", "telegram", "okx", "httpx",
         "aiohttp", "sqlalchemy", "psycopg", "redis", "alembic")
BOOTSTRAP = ("structlog", "pydantic_settings")  # what trading_bot.cli.common imports


def test_the_listing_is_the_commands_as_registered() -> None:
    root = typer.main.get_group(build_app())
    assert list(root.commands) == list(COMMANDS)
    for name, command in root.commands.items():
        assert COMMANDS[name].summary == inspect.cleandoc(command.help or "").split("\n\n")[0], name


def test_help_imports_no_command_module() -> None:
    modules = modules_after("--help")
    assert of_packages(modules, HEAVY + BOOTSTRAP) == []
    assert sorted(m for m in modules if m.startswith("trading_bot.")) == ["trading_bot.cli"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_commands_help_imports_no_heavy_library(command: str) -> None:
    assert of_packages(modules_after(command, "--help"), HEAVY) == []
