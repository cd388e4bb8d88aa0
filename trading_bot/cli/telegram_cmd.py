"""`trading-bot telegram`: the control and alert bot (the `telegram` Procfile role)."""

from __future__ import annotations

import asyncio

import typer

from trading_bot.cli.common import bootstrap


def register(app: typer.Typer) -> None:
    @app.command("telegram")
    def telegram_command() -> None:
        """Run the Telegram bot: commands for allowed chats (TELEGRAM_CHAT_IDS), halt/resume and /config for
        admins (TELEGRAM_ADMIN_IDS), alerts from the Redis streams. Stops on SIGTERM or Ctrl-C."""
        from trading_bot.telegram.app import check_settings, serve

        settings = bootstrap()
        check_settings(settings)
        asyncio.run(serve(settings))
