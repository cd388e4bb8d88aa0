"""`trading-bot ws-public` and `trading-bot ws-private`: the two OKX WebSocket consumer roles."""

from __future__ import annotations

from collections.abc import Callable

import typer

from trading_bot.cli.common import bootstrap, fail
from trading_bot.config import Settings

AUTH_EXIT_CODE = 3


def _run(role: Callable[[Settings], None]) -> None:
    from trading_bot.exchange.errors import AuthError, ExchangeError

    settings = bootstrap()
    try:
        role(settings)
    except AuthError as exc:
        venue = "the simulator" if settings.uses_simulator else "OKX"
        raise fail(f"{venue} refused the API credentials: {exc} — check OKX_API_KEY, OKX_API_SECRET and "
                   "OKX_PASSPHRASE (demo keys need OKX_FLAG=1)", AUTH_EXIT_CODE) from None
    except ExchangeError as exc:
        raise fail(f"exchange unavailable: {exc}") from None
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


def register(app: typer.Typer) -> None:
    @app.command("ws-public")
    def ws_public() -> None:
        """Stream OKX market data (candles 15m/1H/4H, tickers, books5, funding, open interest) of
        every INSTRUMENTS entry into PostgreSQL and Redis, backfilling missed candles over REST."""
        from trading_bot.ingest.main import run_public

        _run(run_public)

    @app.command("ws-private")
    def ws_private() -> None:
        """Stream the account's orders, fills, positions and balance into PostgreSQL, Redis and the
        trade:* streams; publishes position_closed with realised PnL, fees and funding."""
        from trading_bot.ingest.main import run_private

        _run(run_private)
