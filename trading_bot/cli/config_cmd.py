"""`trading-bot config`: the effective configuration, secrets masked."""

from __future__ import annotations

import typer
from pydantic import SecretStr

from trading_bot.cli.common import bootstrap, console
from trading_bot.config import Settings
from trading_bot.logs import MASK, redact_url


def effective_lines(settings: Settings) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            shown = MASK
            if name.endswith("_url"):
                shown = redact_url(value.get_secret_value())
                shown = shown if MASK in shown or "@" not in shown else MASK
        elif value is None:
            shown = "(unset)"
        elif isinstance(value, list):
            shown = ",".join(str(v) for v in value) or "(empty)"
        else:
            shown = str(value)
        rows.append((name.upper(), shown))
    rows.append(("# database", "embedded PostgreSQL" if settings.embedded_database else "DATABASE_URL"))
    rows.append(("# redis", "embedded Redis" if settings.embedded_redis else "REDIS_URL"))
    rows.append(("# exchange", "local simulator" if settings.uses_simulator else f"OKX (flag {settings.okx_flag})"))
    rows.append(("# brain", "Claude" if settings.uses_claude else f"offline ({settings.brain_mode})"))
    return rows


def register(app: typer.Typer) -> None:
    @app.command("config")
    def config_command() -> None:
        """Print the effective configuration (environment + .env) with secrets masked."""
        settings = bootstrap()
        width = max(len(k) for k, _ in effective_lines(settings))
        for key, value in effective_lines(settings):
            console.print(f"{key:<{width}}  {value}", markup=False)
