"""`trading-bot data import|aggregate`: candles into the database (files, or higher timeframes)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trading_bot.cli.common import bootstrap, console, embedded_for_command, err_console, fail
from trading_bot.clock import parse_iso
from trading_bot.config import CONFIG_EXIT_CODE, INSTRUMENT_PATTERN
from trading_bot.domain.market import TIMEFRAME_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from trading_bot.market.aggregate import AggregationReport
    from trading_bot.market.importer import ImportReport
    from trading_bot.storage.db import Database

TIMEFRAMES = ", ".join(TIMEFRAME_SECONDS)


def _progress(transient: bool = False) -> Progress:
    """A progress bar on stderr; a transient one is shown on a terminal only and gone when it ends
    (so a refused import leaves its one error line)."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=transient, disable=transient and not err_console.is_terminal)


def _check(instrument: str, *timeframes: str) -> None:
    if not INSTRUMENT_PATTERN.match(instrument):
        raise fail(f"--instrument: expected an instrument such as BTC-USDT-SWAP, got {instrument!r}")
    for timeframe in timeframes:
        if timeframe not in TIMEFRAME_SECONDS:
            raise fail(f"unknown timeframe {timeframe!r}; expected one of {TIMEFRAMES}")


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def register(app: typer.Typer) -> None:
    data = typer.Typer(help="Candle data: import files, download from OKX, aggregate timeframes.",
                       no_args_is_help=True)
    app.add_typer(data, name="data")

    @data.command("import")
    def import_command(
        file: Path = typer.Argument(..., help="A .feather or .csv(.gz) OHLCV file (the format of ../shared/data), "
                                               "or OKX candle JSON (a candles/history-candles response)."),
        instrument: str = typer.Option(..., "--instrument", help="Instrument the candles belong to."),
        timeframe: str = typer.Option(..., "--timeframe", help=f"Bar size of the file: {TIMEFRAMES}."),
        ct_val: str = typer.Option(None, "--ct-val", help="Contract value (ctVal) to turn base volume into contracts; "
                                                          "known for BTC-USDT-SWAP and ETH-USDT-SWAP."),
        aggregate: str = typer.Option(None, "--aggregate", help="Also build these higher timeframes from the "
                                                                "imported bars, e.g. 15m,1H,4H."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite stored closed bars the file disagrees "
                                                              "with (without it such a file is refused)."),
    ) -> None:
        """Load candles into the candles table, all or nothing. Importing the same file again
        changes nothing. A file with a bar that differs from the stored closed bar is refused (exit 2,
        nothing written) unless --replace is given. A bad file (unreadable, a missing column, no bars,
        two bars at one time, a price not above 0, high below open/close/low, low above open/close, a
        negative volume) is refused naming its first bad data row. Feather/CSV volume is base
        currency (BTC); the quote volume those files lack is stored as volume × close, not compared."""
        from trading_bot.market.importer import aggregate_stored, import_file
        from trading_bot.storage.db import Database

        targets = _split(aggregate)
        _check(instrument, timeframe, *targets)
        contract = _decimal(ct_val)
        settings = bootstrap()
        with embedded_for_command(settings):
            db = Database.from_settings(settings)
            try:
                with _progress(transient=True) as bar:
                    task = bar.add_task(f"importing {file.name}", total=None)
                    report = import_file(db, file, instrument, timeframe, contract, replace=replace,
                                         progress=lambda n, total: bar.update(task, advance=n, total=total))
            except ValueError as exc:  # CandleFileError, ImportConflict: the file, the row, what is wrong
                raise fail(str(exc), CONFIG_EXIT_CODE) from None
            _print_import(report, instrument, timeframe)
            if targets and report.first is not None:
                _aggregate(db, instrument, timeframe, targets, report.first, report.last, aggregate_stored)

    @data.command("aggregate")
    def aggregate_command(
        instrument: str = typer.Option(..., "--instrument", help="Instrument whose candles to aggregate."),
        source: str = typer.Option("1m", "--timeframe", help="The stored timeframe to aggregate."),
        targets: str = typer.Option("15m,1H,4H", "--into", help="Higher timeframes to build, comma-separated (≤ 4H)."),
        start: str = typer.Option(None, "--from", help="First bar time (ISO-8601); default: the oldest stored."),
        end: str = typer.Option(None, "--to", help="Last bar time (ISO-8601); default: the newest stored."),
    ) -> None:
        """Build higher-timeframe candles exactly from stored lower ones (complete buckets only)."""
        from trading_bot.market.importer import aggregate_stored
        from trading_bot.storage.db import Database

        wanted = _split(targets)
        _check(instrument, source, *wanted)
        try:
            first, last = (parse_iso(start) if start else None), (parse_iso(end) if end else None)
        except ValueError:
            raise fail("--from/--to: expected ISO-8601 times such as 2026-01-05T00:00:00Z") from None
        settings = bootstrap()
        with embedded_for_command(settings):
            _aggregate(Database.from_settings(settings), instrument, source, wanted, first, last, aggregate_stored)


    @data.command("download")
    def download_command(
        instrument: str = typer.Option(..., "--instrument", help="Instrument to download, e.g. BTC-USDT-SWAP."),
        timeframe: str = typer.Option(..., "--timeframe", help=f"Bar size: {TIMEFRAMES}."),
        start: str = typer.Option(..., "--from", help="Oldest bar time to fetch (ISO-8601)."),
        end: str = typer.Option(None, "--to", help="Fetch bars opening before this time (ISO-8601); default now."),
    ) -> None:
        """Page through OKX history-candles (OKX with keys configured, else the local simulator) into
        the candles table, newest first, within OKX's rate limits. Pages already stored are not fetched
        again, so an interrupted download resumes where it stopped."""
        from trading_bot.clock import SystemClock
        from trading_bot.exchange.errors import ExchangeError
        from trading_bot.exchange.factory import build_okx
        from trading_bot.exchange.okx.endpoints import resolve_endpoints
        from trading_bot.market.download import download
        from trading_bot.storage.db import Database

        _check(instrument, timeframe)
        try:
            first = parse_iso(start)
            last = parse_iso(end) if end else SystemClock().now()
        except ValueError:
            raise fail("--from/--to: expected ISO-8601 times such as 2026-01-05T00:00:00Z") from None
        if first >= last:
            raise fail("--from must be before --to")
        settings = bootstrap()
        endpoints = resolve_endpoints(settings)
        exchange = build_okx(settings, endpoints)
        console.print(f"downloading {instrument} {timeframe} from {endpoints.venue}", markup=False)
        with embedded_for_command(settings):
            try:
                with _progress() as bar:
                    task = bar.add_task(f"{instrument} {timeframe} pages", total=None)
                    report = download(exchange, Database.from_settings(settings), instrument, timeframe, first, last,
                                      progress=lambda n, total: bar.update(task, advance=n, total=total))
            except ExchangeError as exc:
                raise fail(f"the exchange refused: {exc}") from None
            finally:
                exchange.close()
        reached = f", oldest {report.first:%Y-%m-%d %H:%M}Z" if report.first else ""
        console.print(f"{report.bars:,} bars in {report.pages:,} requests{reached}; "
                      f"{report.skipped:,} page(s) already stored", markup=False)
        if report.exhausted:
            console.print(f"the exchange has no bars before {report.exhausted:%Y-%m-%d %H:%M}Z", markup=False)


def _decimal(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise fail(f"--ct-val: expected a number such as 0.01, got {text!r}") from None
    if not value.is_finite() or value <= 0:
        raise fail(f"--ct-val: expected a positive number, got {text!r}")
    return value


def _print_import(report: ImportReport, instrument: str, timeframe: str) -> None:
    stale = f", {report.stale_forming:,} forming bar(s) already stored closed" if report.stale_forming else ""
    replaced = f", {report.replaced:,} conflicting replaced" if report.replaced else ""
    console.print(f"{instrument} {timeframe}: {report.rows:,} bars {report.first:%Y-%m-%d %H:%M}Z → "
                  f"{report.last:%Y-%m-%d %H:%M}Z, {report.new:,} new, {report.identical:,} identical already "
                  f"stored{stale}{replaced}", markup=False)
    if report.missing_bars:
        console.print(f"warning: {report.missing_bars:,} bars are missing between the first and the last",
                      markup=False)
    if report.forming:
        console.print(f"{report.forming} bar(s) still forming (confirm 0) stored as unconfirmed", markup=False)


def _aggregate(db: Database, instrument: str, source: str, targets: list[str], first: datetime | None,
               last: datetime | None, aggregate_stored: Callable[..., dict[str, AggregationReport]]) -> None:
    try:
        with _progress() as bar:
            task = bar.add_task(f"aggregating {source} → {','.join(targets)}", total=None)
            reports = aggregate_stored(db, instrument, source, targets, first, last,
                                       progress=lambda n, _: bar.update(task, advance=n))
    except ValueError as exc:
        raise fail(str(exc)) from None
    for target, report in reports.items():
        skipped = f", {report.incomplete:,} incomplete bucket(s) left out" if report.incomplete else ""
        console.print(f"{instrument} {target}: {report.built:,} bars built from {source}{skipped}", markup=False)
