"""Candles from files into the candles table, and higher timeframes aggregated from stored ones.

An import compares the file with what is stored first: bars not stored (or stored only as forming)
are new, bars equal to the stored ones are left alone, and a closed bar that differs from the stored
closed bar is a conflict. Conflicts refuse the whole import (nothing written) unless `replace` is
given. The writing is one transaction, so a refused or interrupted import writes nothing; a rerun
starts over. Aggregation upserts and commits chunk by chunk (a rerun completes it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from trading_bot.clock import from_ms
from trading_bot.domain.market import Candle, timeframe_delta
from trading_bot.market.aggregate import (
    AggregationReport,
    aggregate_candles,
    bars_per_bucket,
)
from trading_bot.market.candle_files import (
    KNOWN_CT_VAL,
    CandleTable,
    candles,
    check_timeframe,
    read_table,
    row_values,
)
from trading_bot.storage.db import Database
from trading_bot.storage.repos.candles import (
    VALUES,
    differences,
    earliest_ts,
    fetch_candles,
    fetch_stored,
    latest_ts,
    upsert_candles,
)

BATCH = 2000
COMPARE_CHUNK = 20_000  # file rows compared with the stored bars of their time range at a time
Progress = Callable[[int, int | None], None]  # (rows just handled, total rows when known)
# What a file says about a bar: Feather/CSV files lack the quote volume (it is approximated), so a
# stored bar with the exchange's own quote volume is not a conflict.
COMPARED = {"base": ("open", "high", "low", "close", "volume", "volume_ccy"), "okx": VALUES}


@dataclass
class Conflict:
    ts: datetime
    stored: str  # the differing values, `name=value …`
    file: str


@dataclass
class ImportReport:
    rows: int = 0
    new: int = 0  # bars not stored before as closed bars
    identical: int = 0  # closed bars stored with the file's values already
    stale_forming: int = 0  # forming rows (OKX JSON) of bars stored closed already: left as stored
    conflicts: int = 0  # closed bars stored with other values
    replaced: int = 0  # conflicts overwritten (only with `replace`)
    first_conflict: Conflict | None = None
    first: datetime | None = None
    last: datetime | None = None
    missing_bars: int = 0  # holes between first and last
    forming: int = 0  # unconfirmed rows (OKX JSON with confirm "0") written
    aggregated: dict[str, AggregationReport] = field(default_factory=dict)


class ImportConflict(ValueError):
    """The file disagrees with stored closed bars and `replace` was not given; nothing was written."""

    def __init__(self, path: object, report: ImportReport) -> None:
        first = report.first_conflict
        assert first is not None
        super().__init__(
            f"{path}: {report.new:,} new, {report.identical:,} identical already stored, {report.conflicts:,} "
            f"conflicting: first at {first.ts:%Y-%m-%d %H:%M}Z (stored {first.stored} vs file {first.file}); "
            "nothing written (--replace overwrites the stored bars)")
        self.report = report


def contract_value(inst_id: str, given: Decimal | None) -> Decimal | None:
    return given if given is not None else KNOWN_CT_VAL.get(inst_id)


def import_file(db: Database, path: Path, inst_id: str, timeframe: str, ct_val: Decimal | None = None,
                progress: Progress | None = None, replace: bool = False) -> ImportReport:
    """Import a candle file (CandleFileError: a bad file; ImportConflict: it disagrees with stored
    closed bars and `replace` is False). Nothing is written unless everything can be."""
    table = read_table(path)
    check_timeframe(table, timeframe)
    ct_val = contract_value(inst_id, ct_val)
    first, last = from_ms(int(table.ts_ms[0])), from_ms(int(table.ts_ms[-1]))
    report = ImportReport(rows=len(table), first=first, last=last)
    write = _compare(db, table, inst_id, timeframe, ct_val, report)
    if report.conflicts and not replace:
        raise ImportConflict(path, report)
    report.replaced = report.conflicts
    indices = np.flatnonzero(write).tolist()
    upsert_candles(db, _counted(candles(table, inst_id, timeframe, ct_val, indices), progress, len(indices)),
                   compared=True)
    if table.volume_unit == "okx":
        report.forming = int((table.columns["confirm"] != "1").sum()) - report.stale_forming
    step = timeframe_delta(timeframe)
    report.missing_bars = int((last - first) / step) + 1 - len(table)
    return report


def _compare(db: Database, table: CandleTable, inst_id: str, timeframe: str, ct_val: Decimal | None,
             report: ImportReport) -> NDArray[Any]:
    """Classify the rows against the stored bars, a chunk of the file's time range at a time (counts
    into `report`); which rows to write."""
    write = np.ones(len(table), dtype=bool)
    values = row_values(table, inst_id, ct_val)
    names = COMPARED[table.volume_unit]
    for start in range(0, len(table), COMPARE_CHUNK):
        stop = min(start + COMPARE_CHUNK, len(table))
        stored = fetch_stored(db, inst_id, timeframe, from_ms(int(table.ts_ms[start])),
                              from_ms(int(table.ts_ms[stop - 1])))
        if not stored:
            continue
        held_ms = pd.DatetimeIndex(list(stored)).as_unit("ms").asi8
        by_ms = dict(zip(held_ms.tolist(), stored.values(), strict=True))
        for i in (start + np.flatnonzero(np.isin(table.ts_ms[start:stop], held_ms))).tolist():
            held, mine = by_ms[int(table.ts_ms[i])], values(i)
            if not held[-1]:  # stored forming: the file's bar takes its place
                continue
            if not mine["confirmed"]:
                report.stale_forming += 1
            elif all(held[VALUES.index(name)] == mine[name] for name in names):
                report.identical += 1
            else:
                report.conflicts += 1
                if report.first_conflict is None:
                    theirs, ours = differences([held[VALUES.index(n)] for n in names], [mine[n] for n in names], names)
                    report.first_conflict = Conflict(mine["ts"], theirs, ours)
                continue  # written only with `replace`
            write[i] = False
    report.new = int(write.sum()) - report.conflicts
    return write


def _counted(items: Iterable[Candle], progress: Progress | None, total: int) -> Iterator[Candle]:
    done = 0
    for item in items:
        yield item
        done += 1
        if progress and done % BATCH == 0:
            progress(BATCH, total)
    if progress and done % BATCH:
        progress(done % BATCH, total)


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
