"""`trading-bot status`: the bot at a glance from the database (see status_view.py)."""

from __future__ import annotations

import typer

from trading_bot.cli.common import bootstrap, embedded_for_command
from trading_bot.storage import LIVE_RUN


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status(cycles: int = typer.Option(10, "--cycles", min=0, max=200, help="How many recent cycles to list."),
               run_id: str = typer.Option(LIVE_RUN, "--run-id", help="Which run (the live bot is 'live').")) -> None:
        """Show the bot's state, equity, today's PnL and LLM cost, open positions and the last cycles."""
        from trading_bot.cli.status_view import show_status
        from trading_bot.storage.db import Database

        settings = bootstrap()
        with embedded_for_command(settings, postgres=True, redis=True):
            show_status(settings, Database.from_settings(settings), run_id, cycles)
