"""`trading-bot telegram`: the control and alert bot (the `telegram` Procfile role), or with
`--console` the same commands on stdin/stdout, without Telegram."""

from __future__ import annotations

import asyncio
import sys

import typer

from trading_bot.cli.common import bootstrap, embedded_for_command, err_console
from trading_bot.config import ConfigError, Settings
from trading_bot.logs import configure_from_settings

CONSOLE_HELP = ("Talk to the bot here instead of in Telegram: read commands from stdin, one per line "
                "(/help lists them), and print each reply exactly as the Bot API would get it (Telegram HTML). "
                "No token or chat ids needed; you act as an admin, recorded as console:<login>, on the same "
                "database and Redis as the bot. End of input (Ctrl-D) ends it.")


def register(app: typer.Typer) -> None:
    @app.command("telegram")
    def telegram_command(console: bool = typer.Option(False, "--console", help=CONSOLE_HELP)) -> None:
        """Run the Telegram bot: commands for allowed chats (TELEGRAM_CHAT_IDS), halt/resume and /config for
        admins (TELEGRAM_ADMIN_IDS), alerts from the Redis streams. Stops on SIGTERM or Ctrl-C. A missing or
        rejected token, or no chats, ends it with one line and exit code 2 (its supervisor does not restart it).
        With --console: the same commands on stdin/stdout, without Telegram."""
        settings = bootstrap()
        if console:
            _console(settings)
            return
        from trading_bot.telegram.settings_check import required_token

        required_token(settings)  # before the bot's slow imports
        from telegram.error import InvalidToken

        from trading_bot.telegram.app import serve

        try:
            asyncio.run(serve(settings))
        except InvalidToken:  # its message quotes the token
            raise ConfigError("TELEGRAM_BOT_TOKEN: rejected by the Telegram Bot API") from None


def _console(settings: Settings) -> None:
    from trading_bot.telegram.console import run_console

    if settings.log_level == "INFO":  # the replies are the output; stderr keeps warnings and errors (or DEBUG)
        configure_from_settings(settings.model_copy(update={"log_level": "WARNING"}))
    terminal = sys.stdin.isatty()
    if terminal:
        err_console.print("Telegram console: type a command (/help lists them); Ctrl-D ends.", markup=False)
    with embedded_for_command(settings, postgres=True, redis=True):
        try:
            asyncio.run(run_console(settings, sys.stdin, sys.stdout, sys.stderr if terminal else None))
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
