"""What the telegram role needs from the settings. Cheap to import (no python-telegram-bot), so
`trading-bot run` checks it before it starts the role, and the role itself before it builds the bot."""

from __future__ import annotations

from trading_bot.config import ConfigError, Settings


def required_token(settings: Settings) -> str:
    """The bot token; ConfigError when the role cannot work with these settings."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN: required for the telegram role")
    if not settings.telegram_chat_ids:
        raise ConfigError("TELEGRAM_CHAT_IDS: expected at least one chat id (the bot answers no one else)")
    return settings.telegram_bot_token.get_secret_value()
