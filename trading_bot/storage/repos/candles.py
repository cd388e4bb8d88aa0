"""Candles in PostgreSQL: batched idempotent upserts and range reads (oldest first).

A forming bar changes until it closes, so it is updated in place; a closed bar is never replaced by
a forming one. A closed bar replaced by a different closed one (the venue's REST or WebSocket
disagreeing with what is stored, e.g. a file's approximated quote volume) is logged as
`candles_replaced` per series with the first such bar, stored and received values: never silent.
`data import` compares with `fetch_stored` first and refuses conflicts unless told to replace.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, BindParameter, Text, bindparam, cast, func, literal, null, select, union_all
from sqlalchemy.dialects.postgresql import ARRAY, DOUBLE_PRECISION, aggregate_order_by
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.orm import Session

from trading_bot.domain.market import Candle
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.models import Candle as CandleRow
from trading_bot.storage.run_journal import driver_connection

log = get_logger(__name__)
BATCH_SIZE = 2000
VALUES = ("open", "high", "low", "close", "volume", "volume_ccy", "volume_quote")
StoredBar = tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, bool]  # VALUES, confirmed


def _row(candle: Candle) -> dict[str, Any]:
    return {
        "instrument": candle.inst_id,
        "timeframe": candle.timeframe,
        "ts": candle.ts,
        "open": candle.open,
        "high": candle.high,
        "low": candle.low,
        "close": candle.close,
        "volume": candle.volume,
        "volume_ccy": candle.volume_ccy,
        "volume_quote": candle.volume_quote,
        "confirmed": candle.confirmed,
    }


def upsert_candles(db: Database, candles: Iterable[Candle], batch_size: int = BATCH_SIZE,
                   compared: bool = False) -> int:
    """Insert or update candles in one transaction; a forming bar is updated in place, a closed bar
    is never overwritten by a forming one. `compared`: the caller compared its bars with the stored
    ones first and reports what it replaces (`data import`), so replaced closed bars are not looked
    for again. Returns the number of rows written."""
    written = 0
    batch: list[dict[str, Any]] = []
    with db.session() as session:
        for candle in candles:
            batch.append(_row(candle))
            if len(batch) >= batch_size:
                written += _flush(session, batch, compared)
                batch = []
        if batch:
            written += _flush(session, batch, compared)
    return written


COLUMNS = ("instrument", "timeframe", "ts", *VALUES, "confirmed")
_STAGE = """CREATE TEMP TABLE IF NOT EXISTS candles_incoming
    (LIKE candles INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"""
_CHANGED = f"""SELECT DISTINCT ON (i.instrument, i.timeframe)
        i.instrument, i.timeframe, count(*) OVER (PARTITION BY i.instrument, i.timeframe), i.ts,
        {", ".join(f"c.{c}" for c in VALUES)}, {", ".join(f"i.{c}" for c in VALUES)}
    FROM candles_incoming i JOIN candles c
        ON c.instrument = i.instrument AND c.timeframe = i.timeframe AND c.ts = i.ts
    WHERE c.confirmed AND i.confirmed
        AND ({", ".join(f"c.{c}" for c in VALUES)}) IS DISTINCT FROM ({", ".join(f"i.{c}" for c in VALUES)})
    ORDER BY i.instrument, i.timeframe, i.ts"""
_MERGE = f"""INSERT INTO candles ({", ".join(COLUMNS)})
    SELECT {", ".join(COLUMNS)} FROM candles_incoming
    ON CONFLICT (instrument, timeframe, ts) DO UPDATE SET
        {", ".join(f"{c} = excluded.{c}" for c in COLUMNS[3:])}, updated_at = now()
    WHERE candles.confirmed IS FALSE OR excluded.confirmed IS TRUE
    RETURNING ts"""


def _flush(session: Session, batch: list[dict[str, Any]], compared: bool) -> int:
    """COPY the batch into a session-local staging table, then one INSERT … SELECT … ON CONFLICT:
    an order of magnitude cheaper per row than parameterised INSERTs (ws-public writes thousands
    of bars per second). A closed bar is never overwritten by a forming one."""
    # One row per key per statement (PostgreSQL refuses to touch a row twice in one upsert).
    unique = list({(r["instrument"], r["timeframe"], r["ts"]): r for r in batch}.values())
    raw = driver_connection(session.connection())
    with raw.cursor() as cursor:
        cursor.execute(_STAGE)
        cursor.execute("TRUNCATE candles_incoming")
        with cursor.copy(f"COPY candles_incoming ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in unique:
                copy.write_row(tuple(row[c] for c in COLUMNS))
        if compared:
            cursor.execute(_MERGE)
        else:  # both in one round trip; the first reads the stored bars before the second changes them
            cursor.execute(f"{_CHANGED};\n{_MERGE}")
            for instrument, timeframe, bars, ts, *values in cursor.fetchall():
                stored, received = differences(values[:len(VALUES)], values[len(VALUES):])
                log.warning("candles_replaced", instrument=instrument, timeframe=timeframe, bars=bars,
                            first_ts=ts.isoformat(), stored=stored, received=received)
            cursor.nextset()
        return len(cursor.fetchall())


def differences(stored: Sequence[Decimal | bool], received: Sequence[Decimal | bool],
                names: Sequence[str] = VALUES) -> tuple[str, str]:
    """The values (named by `names`) that differ, as `name=value …` for the stored and the received bar."""
    changed = [i for i, (a, b) in enumerate(zip(stored, received, strict=True)) if a != b]
    return (" ".join(f"{names[i]}={stored[i]}" for i in changed),
            " ".join(f"{names[i]}={received[i]}" for i in changed))


def fetch_stored(db: Database, inst_id: str, timeframe: str, start: datetime,
                 end: datetime) -> dict[datetime, StoredBar]:
    """The stored bars with start ≤ ts ≤ end as plain values (VALUES, confirmed) by bar time: what
    an import compares its rows with (no ORM objects: a whole file's range may be read)."""
    columns = [getattr(CandleRow, c) for c in VALUES]
    query = select(CandleRow.ts, *columns, CandleRow.confirmed).where(
        CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe, CandleRow.ts >= start, CandleRow.ts <= end)
    with db.session() as session:
        return {ts: tuple(values) for ts, *values in session.execute(query)}


def _to_domain(row: CandleRow) -> Candle:
    return Candle(
        inst_id=row.instrument,
        timeframe=row.timeframe,
        ts=row.ts,
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        volume_ccy=row.volume_ccy,
        volume_quote=row.volume_quote,
        confirmed=row.confirmed,
    )


def fetch_candles(
    db: Database,
    inst_id: str,
    timeframe: str,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    confirmed_only: bool = False,
) -> list[Candle]:
    """Bars with start ≤ ts ≤ end, oldest first; with `limit`, the most recent `limit` of them."""
    query = select(CandleRow).where(CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe)
    if start is not None:
        query = query.where(CandleRow.ts >= start)
    if end is not None:
        query = query.where(CandleRow.ts <= end)
    if confirmed_only:
        query = query.where(CandleRow.confirmed.is_(True))
    query = query.order_by(CandleRow.ts.desc())
    if limit is not None:
        query = query.limit(limit)
    with db.session() as session:
        rows: Sequence[CandleRow] = session.scalars(query).all()
        return [_to_domain(row) for row in reversed(rows)]


def latest_ts(db: Database, inst_id: str, timeframe: str, confirmed_only: bool = True) -> datetime | None:
    query = select(func.max(CandleRow.ts)).where(CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe)
    if confirmed_only:
        query = query.where(CandleRow.confirmed.is_(True))
    with db.session() as session:
        return session.scalar(query)


def earliest_ts(db: Database, inst_id: str, timeframe: str) -> datetime | None:
    query = select(func.min(CandleRow.ts)).where(CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe)
    with db.session() as session:
        return session.scalar(query)


def count(db: Database, inst_id: str, timeframe: str, start: datetime | None = None,
          before: datetime | None = None) -> int:
    """Stored bars, optionally only those with start ≤ ts < before."""
    query = select(func.count()).select_from(CandleRow).where(
        CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe
    )
    if start is not None:
        query = query.where(CandleRow.ts >= start)
    if before is not None:
        query = query.where(CandleRow.ts < before)
    with db.session() as session:
        return int(session.scalar(query) or 0)


def fetch_closed_ohlcv(
    db: Database, inst_id: str, timeframe: str, open_until: datetime, limit: int
) -> list[tuple[datetime, Decimal, Decimal, Decimal, Decimal, Decimal]]:
    """The last `limit` confirmed bars opened at or before `open_until`, oldest first, as plain rows
    (ts, open, high, low, close, volume_ccy): the snapshot builder's fast path."""
    query = (
        select(CandleRow.ts, CandleRow.open, CandleRow.high, CandleRow.low, CandleRow.close, CandleRow.volume_ccy)
        .where(CandleRow.instrument == inst_id, CandleRow.timeframe == timeframe, CandleRow.confirmed.is_(True),
               CandleRow.ts <= open_until)
        .order_by(CandleRow.ts.desc())
        .limit(limit)
    )
    with db.session() as session:
        rows = session.execute(query).all()
    return [tuple(row) for row in reversed(rows)]  # type: ignore[misc]


class ClosedArrays(NamedTuple):
    """A window of closed bars as columns, oldest first: open times in ms and float prices (what the
    indicators read; PostgreSQL's numeric → double conversion rounds as Python's float(Decimal))."""

    ms: list[int]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume_ccy: list[float]


def _ms(ts: Any) -> Any:
    return cast(func.extract("epoch", ts) * 1000, BigInteger)


@functools.cache
def _windows_statement(timeframes: tuple[str, ...]) -> Any:
    """Built once per set of timeframes (building it costs more than running it); bound per call:
    inst_id, at, limit and each timeframe's `opened_by_<n>` (at minus its bar length)."""
    prices = (CandleRow.open, CandleRow.high, CandleRow.low, CandleRow.close, CandleRow.volume_ccy)
    no_arrays = [cast(null(), ARRAY(BigInteger)), *(cast(null(), ARRAY(DOUBLE_PRECISION)) for _ in prices)]
    forming = [cast(_ms(CandleRow.ts), Text), *(cast(c, Text) for c in (
        *prices[:4], CandleRow.volume, CandleRow.volume_ccy, CandleRow.volume_quote))]
    parts = []
    for order, timeframe in enumerate(timeframes):
        series = (CandleRow.instrument == bindparam("inst_id"), CandleRow.timeframe == timeframe)
        opened_by: BindParameter[datetime] = bindparam(f"opened_by_{order}")
        closed = (select(CandleRow.ts, *prices).where(*series, CandleRow.confirmed.is_(True), CandleRow.ts <= opened_by)
                  .order_by(CandleRow.ts.desc()).limit(bindparam("limit")).subquery())
        parts.append(select(literal(order).label("part"),
                            func.array_agg(aggregate_order_by(_ms(closed.c.ts), closed.c.ts)),
                            *(func.array_agg(aggregate_order_by(cast(closed.c[c.key], DOUBLE_PRECISION), closed.c.ts))
                              for c in prices),
                            cast(null(), ARRAY(Text)).label("forming")).select_from(closed))
        parts.append(select(literal(order), *no_arrays, pg_array(forming))
                     .where(*series, CandleRow.confirmed.is_(False), CandleRow.ts > opened_by,
                            CandleRow.ts <= bindparam("at"))
                     .order_by(CandleRow.ts.desc()).limit(1))
    return union_all(*parts)


def fetch_windows(db: Database, inst_id: str, at: datetime, spans: dict[str, timedelta],
                  limit: int) -> dict[str, tuple[ClosedArrays, Candle | None]]:
    """What a live snapshot reads of each timeframe (name → bar length), in one statement: the last
    `limit` bars closed by `at` (as `fetch_closed_ohlcv`, as arrays: decoding 600 rows of Decimals
    cost more than the query) and the unconfirmed bar opened in (at - its length, at]."""
    params: dict[str, Any] = {"inst_id": inst_id, "at": at, "limit": limit}
    params.update({f"opened_by_{order}": at - span for order, span in enumerate(spans.values())})
    with db.session() as session:
        rows = session.execute(_windows_statement(tuple(spans)), params).all()
    names = list(spans)
    empty = ClosedArrays([], [], [], [], [], [])
    windows: dict[str, tuple[ClosedArrays, Candle | None]] = {name: (empty, None) for name in names}
    for part, ms, open_, high, low, close, volume_ccy, forming_bar in rows:
        name = names[part]
        closed_arrays, forming_candle = windows[name]
        if forming_bar is None:
            closed_arrays = ClosedArrays(ms or [], open_ or [], high or [], low or [], close or [], volume_ccy or [])
        else:
            stamp, *values = forming_bar
            o, h, lo, c, vol, vol_ccy, vol_quote = (Decimal(v) for v in values)
            forming_candle = Candle(inst_id=inst_id, timeframe=name, ts=datetime.fromtimestamp(int(stamp) / 1000, UTC),
                                    open=o, high=h, low=lo, close=c, volume=vol, volume_ccy=vol_ccy,
                                    volume_quote=vol_quote, confirmed=False)
        windows[name] = (closed_arrays, forming_candle)
    return windows
