"""`trading-bot snapshot INSTRUMENT [--at ISO] [--json]`: the market snapshot from PostgreSQL and Redis."""

from __future__ import annotations

import typer

from trading_bot.cli.common import bootstrap, console, embedded_for_command, fail
from trading_bot.clock import SystemClock, parse_iso
from trading_bot.config import INSTRUMENT_PATTERN


def register(app: typer.Typer) -> None:
    @app.command("snapshot")
    def snapshot(
        instrument: str = typer.Argument(..., help="Instrument, e.g. BTC-USDT-SWAP."),
        at: str = typer.Option(None, "--at", help="Time of the snapshot (ISO-8601, UTC if no zone); default now."),
        as_json: bool = typer.Option(False, "--json", help="Print the snapshot as JSON instead of tables."),
    ) -> None:
        """Build the market snapshot (indicators and regime per timeframe, book, funding, open interest,
        anomalies) from the candles in the database and the latest market state in Redis. Only data
        stamped at or before the snapshot time is used; nothing is published."""
        from trading_bot.cli.snapshot_view import render
        from trading_bot.market.service import build_live
        from trading_bot.market.snapshot import SnapshotUnavailable

        if not INSTRUMENT_PATTERN.match(instrument):
            raise fail(f"expected an instrument such as BTC-USDT-SWAP, got {instrument!r}")
        try:
            when = parse_iso(at) if at else SystemClock().now()
        except ValueError:
            raise fail(f"--at: expected an ISO-8601 time such as 2026-01-05T12:00:00Z, got {at!r}") from None
        settings = bootstrap()
        with embedded_for_command(settings, postgres=True, redis=True):
            try:
                result = build_live(settings, instrument, when)
            except SnapshotUnavailable as exc:
                hint = "load candles with `trading-bot data import` or run ws-public"
                raise fail(f"{instrument}: {exc}; {hint}") from None
        if as_json:
            typer.echo(result.model_dump_json(indent=2))
        else:
            render(result, console)
