"""`trading-bot telegram`: the control and alert bot (the `telegram` Procfile role)."""

from __future__ import annotations

import asyncio

import typer

from trading_bot.cli.common import bootstrap
from trading_bot.config import ConfigError


def register(app: typer.Typer) -> None:
    @app.command("telegram")
    def telegram_command() -> None:
        """Run the Telegram bot: commands for allowed chats (TELEGRAM_CHAT_IDS), halt/resume and /config for
        admins (TELEGRAM_ADMIN_IDS), alerts from the Redis streams. Stops on SIGTERM or Ctrl-C. A missing or
        rejected token, or no chats, ends it with one line and exit code 2 (its supervisor does not restart it)."""
        from trading_bot.telegram.settings_check import required_token

        settings = bootstrap()
        required_token(settings)  # before the bot's slow imports
        from telegram.error import InvalidToken

        from trading_bot.telegram.app import serve

        try:
            asyncio.run(serve(settings))
        except InvalidToken:  # its message quotes the token
            raise ConfigError("TELEGRAM_BOT_TOKEN: rejected by the Telegram Bot API") from None
