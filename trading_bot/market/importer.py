"""Candles from files into the candles table, and higher timeframes aggregated from stored ones.

Both are idempotent (upserts keyed by instrument, timeframe and bar time) and commit batch by batch,
so an interrupted run keeps what it wrote and a rerun completes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path

from trading_bot.clock import from_ms
from trading_bot.domain.market import Candle, timeframe_delta
from trading_bot.market.aggregate import AggregationReport, aggregate_candles, bars_per_bucket
from trading_bot.market.candle_files import KNOWN_CT_VAL, candles, check_timeframe, read_table
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import count, earliest_ts, fetch_candles, latest_ts, upsert_candles

BATCH = 2000
Progress = Callable[[int, int | None], None]  # (rows just handled, total rows when known)


@dataclass
class ImportReport:
    rows: int = 0
    new: int = 0  # bars that were not in the table before
    first: datetime | None = None
    last: datetime | None = None
    missing_bars: int = 0  # holes between first and last
    forming: int = 0  # unconfirmed rows (OKX JSON with confirm "0")
    aggregated: dict[str, AggregationReport] = field(default_factory=dict)


def contract_value(inst_id: str, given: Decimal | None) -> Decimal | None:
    return given if given is not None else KNOWN_CT_VAL.get(inst_id)


def import_file(db: Database, path: Path, inst_id: str, timeframe: str, ct_val: Decimal | None = None,
                progress: Progress | None = None) -> ImportReport:
    table = read_table(path)
    check_timeframe(table, timeframe)
    report = ImportReport(rows=len(table))
    if not len(table):
        return report
    before = count(db, inst_id, timeframe)
    rows = candles(table, inst_id, timeframe, contract_value(inst_id, ct_val))
    for batch in _batches(rows, BATCH):
        upsert_candles(db, batch)
        report.forming += sum(1 for c in batch if not c.confirmed)
        if progress:
            progress(len(batch), len(table))
    report.new = count(db, inst_id, timeframe) - before
    report.first, report.last = from_ms(int(table.ts_ms[0])), from_ms(int(table.ts_ms[-1]))
    step = timeframe_delta(timeframe)
    report.missing_bars = int((report.last - report.first) / step) + 1 - len(table)
    return report


def aggregate_stored(db: Database, inst_id: str, lower: str, highers: Sequence[str], start: datetime | None = None,
                     end: datetime | None = None, progress: Progress | None = None) -> dict[str, AggregationReport]:
    """Build `highers` from the stored `lower` bars between `start` and `end` (default: all of them)."""
    for higher in highers:
        bars_per_bucket(lower, higher)  # refuse impossible targets before reading anything
    reports = {higher: AggregationReport() for higher in highers}
    for chunk in _stored_chunks(db, inst_id, lower, highers, start, end):
        for higher in highers:
            upsert_candles(db, aggregate_candles(chunk, higher, reports[higher]))
        if progress:
            progress(len(chunk), None)
    return reports


def _stored_chunks(db: Database, inst_id: str, lower: str, highers: Sequence[str], start: datetime | None,
                   end: datetime | None) -> Iterator[list[Candle]]:
    """Stored bars in chunks of about a week whose edges fall on bucket boundaries of every target."""
    edge = max(timeframe_delta(h) for h in highers)
    span = edge * max(1, int(timedelta(days=7) / edge))
    first = start or earliest_ts(db, inst_id, lower)
    last = end or latest_ts(db, inst_id, lower, confirmed_only=False)
    if first is None or last is None:
        return
    cursor = _floor(first, edge)
    while cursor <= last:
        rows = fetch_candles(db, inst_id, lower, start=cursor, end=min(cursor + span - timedelta(microseconds=1), last))
        if rows:
            yield rows
        cursor += span


def _floor(when: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=when.tzinfo)
    return epoch + ((when - epoch) // step) * step


def _batches(items: Iterable[Candle], size: int) -> Iterator[list[Candle]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
