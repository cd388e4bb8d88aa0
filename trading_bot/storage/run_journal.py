"""A backtest's journal in memory: the rows every cycle writes (its `decision_cycles` row, its
`screener_logs` row, the account readings of `account_snapshots`) and the trade journal's
(`trades`, `orders`, `reflection_logs`: storage/run_trade_book.py) are kept here and written to
PostgreSQL in bulk with COPY, instead of three to five statements per cycle and some thirty per trade.

The repositories of those tables (repos/cycles, screener_logs, risk_counters, orders, journal,
reflections) write here when the database they are handed carries a journal (`journal_of`); every
other table is written as live. Readers see exactly what they would see live because the journal
writes out the rows a statement could see before it runs on the run's connection
(`flush_before_statements`, an engine hook): the rows of every table the statement names (and of
the tables those rows reference), and before a write the rows of every table its own table
references. So rows stay here while the cycles touch no other table, which is most of them, and
the database holds them at every checkpoint and at the end. The run's equity curve and its trade
journal are kept here whole, so the risk counters and the reviews read them without a query.

One process writes a backtest's database (its own, created for the run), so ids are assigned
here, and uniqueness (one cycle per id, one account reading per timestamp) is kept here too.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg
from pydantic import BaseModel
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session

from trading_bot.storage.models import Base
from trading_bot.storage.run_trade_book import TABLES as BOOK_TABLES
from trading_bot.storage.run_trade_book import RunTradeBook

CYCLE_COLUMNS = ("id", "run_id", "instrument", "trigger", "scheduled_for", "started_at", "finished_at", "stage",
                 "outcome", "timeline", "snapshot", "screener_signal", "shadow", "decision", "action", "verdict",
                 "approved", "cl_ord_id", "cost_usd", "latency_ms", "error")
JSON_CYCLE_COLUMNS = frozenset({"timeline", "snapshot", "decision", "verdict"})
SCREEN_COLUMNS = ("id", "run_id", "cycle_id", "llm_call_id", "instrument", "ts", "model", "signal", "reason",
                  "bypass_reason", "parse_error", "shadow_analysed", "analyst_action", "analyst_agreed", "created_at")
ACCOUNT_COLUMNS = ("run_id", "ts", "equity", "available", "frozen", "upl")
TABLES = ("decision_cycles", "screener_logs", "account_snapshots", *BOOK_TABLES)  # in the order written


def _journal_references(table: str) -> frozenset[str]:
    """The journal's tables a row of `table` may reference (foreign keys)."""
    return frozenset(key.column.table.name for key in Base.metadata.tables[table].foreign_keys) & frozenset(TABLES)


# what must be written before a table's rows, or before a write to a table, can be: its references' rows
_NEEDS = {name: _journal_references(name) for name in Base.metadata.tables}
_WRITE_TARGET = re.compile(r"^(?:INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)")


def _with_references(tables: frozenset[str]) -> frozenset[str]:
    closed = set(tables)
    while True:
        more = set().union(*(_NEEDS.get(t, frozenset()) for t in closed)) - closed
        if not more:
            return frozenset(closed)
        closed |= more


class BookWrittenWithSql(RuntimeError):
    """A SQL write to a table the run's trade book holds: the book and the database would disagree."""


class RunJournal:
    def __init__(self, next_screen_id: int = 1) -> None:
        self.cycles: dict[str, dict[str, Any]] = {}  # not yet written, by id
        self.screens: dict[int, dict[str, Any]] = {}  # not yet written, by id
        self.accounts: list[tuple[Any, ...]] = []  # not yet written
        self._cycle_ids: set[str] = set()  # every cycle started here (written or not)
        self._account_keys: set[tuple[str, datetime]] = set()  # (run, ts) of every reading, as the unique key
        # the run's equity curve (every reading, written or not), for the risk counters
        self._curve_run: str | None = None
        self._curve_ts: list[datetime] = []
        self._curve_equity: list[Decimal] = []
        self._peaks: dict[datetime | None, tuple[Decimal | None, int]] = {}  # since → (peak, readings seen)
        self._next_screen_id = next_screen_id
        # (ts, signal) of every model-judged screen, in time order: the screener's 24 h pass rate
        self._judged_ts: list[datetime] = []
        self._judged_passed: list[int] = []  # running count of passes up to and including each entry
        # written in the open transaction: back to pending if it rolls back, so nothing is lost
        self._uncommitted: tuple[dict[str, Any], dict[int, Any], list[tuple[Any, ...]]] = ({}, {}, [])
        self._sequence_behind = False  # ids used here that screener_logs' own sequence has not passed
        self.book = RunTradeBook()
        self.flushes = 0
        self.rows_written = 0

    @property
    def pending(self) -> int:
        return len(self.cycles) + len(self.screens) + len(self.accounts) + self.book.pending

    # --- decision_cycles --------------------------------------------------------------------------
    def start_cycle(self, values: dict[str, Any]) -> bool:
        if values["id"] in self._cycle_ids:
            return False
        self._cycle_ids.add(values["id"])
        self.cycles[values["id"]] = {"timeline": [], "shadow": False, "cost_usd": Decimal(0), **values}
        return True

    def started_cycle(self, cycle_id: str) -> bool:
        """Whether this run started the cycle (its row is here or written)."""
        return cycle_id in self._cycle_ids

    def change_cycle(self, cycle_id: str, values: dict[str, Any], timeline_add: list[dict[str, Any]]) -> bool:
        """Set `values` and append to the timeline of the cycle's row while it is still here, as the
        UPDATE would; False once written (update it with SQL)."""
        row = self.cycles.get(cycle_id)
        if row is None:
            return False
        row.update(values)
        row["timeline"] = [*row["timeline"], *timeline_add]
        return True

    # --- screener_logs ----------------------------------------------------------------------------
    def insert_screen(self, row: dict[str, Any]) -> int:
        screen_id = self._next_screen_id
        self._next_screen_id += 1
        self.screens[screen_id] = {"id": screen_id, "shadow_analysed": False, "analyst_action": None,
                                   "analyst_agreed": None, **row}
        if row["bypass_reason"] is None:
            if self._judged_ts and row["ts"] < self._judged_ts[-1]:
                raise ValueError("screens must be journaled in time order")
            passed = self._judged_passed[-1] if self._judged_passed else 0
            self._judged_ts.append(row["ts"])
            self._judged_passed.append(passed + bool(row["signal"]))
        return screen_id

    def unwritten_screen(self, screen_id: int) -> dict[str, Any] | None:
        return self.screens.get(screen_id)

    def pass_rate(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(model-judged screens, passes) in [start, end), as screener_logs.pass_rate counts them."""
        first, stop = bisect_left(self._judged_ts, start), bisect_left(self._judged_ts, end)
        if stop <= first:
            return 0, 0
        before = self._judged_passed[first - 1] if first else 0
        return stop - first, self._judged_passed[stop - 1] - before

    # --- account_snapshots ------------------------------------------------------------------------
    def record_account(self, run_id: str, ts: datetime, equity: Decimal, available: Decimal, frozen: Decimal,
                       upl: Decimal) -> bool:
        if (run_id, ts) in self._account_keys:
            return False
        self._account_keys.add((run_id, ts))
        self.accounts.append((run_id, ts, equity, available, frozen, upl))
        self._remember_equity(run_id, ts, equity)
        return True

    def replaced_account(self, run_id: str, ts: datetime, equity: Decimal) -> None:
        """A reading was stored or replaced with SQL (upsert_account): keep the equity curve true."""
        self._account_keys.add((run_id, ts))
        if self._curve_run == run_id and self._curve_ts and self._curve_ts[-1] == ts:
            self._curve_equity[-1] = equity
            self._peaks.clear()
        else:
            self._remember_equity(run_id, ts, equity)

    def _remember_equity(self, run_id: str, ts: datetime, equity: Decimal) -> None:
        if self._curve_run is None:
            self._curve_run = run_id
        if run_id != self._curve_run or (self._curve_ts and ts <= self._curve_ts[-1]):
            self._curve_run = ""  # another run, or out of order: the database answers from now on
            return
        self._curve_ts.append(ts)
        self._curve_equity.append(equity)

    def knows_equity_of(self, run_id: str) -> bool:
        """Whether every account reading of `run_id` went through here, in time order."""
        return bool(run_id) and run_id == self._curve_run

    def equity_at(self, when: datetime) -> Decimal | None:
        """As risk_counters.equity_at: the last reading at or before `when`, else the first after."""
        i = bisect_right(self._curve_ts, when) - 1
        if i >= 0:
            return self._curve_equity[i]
        return self._curve_equity[0] if self._curve_equity else None

    def peak_equity_since(self, since: datetime | None) -> Decimal | None:
        """As risk_counters.peak_equity_since, kept up to date by the readings added since the last ask."""
        first = 0 if since is None else bisect_right(self._curve_ts, since)
        peak, upto = self._peaks.get(since, (None, first))
        for equity in self._curve_equity[upto:]:
            peak = equity if peak is None or equity > peak else peak
        self._peaks[since] = (peak, len(self._curve_equity))
        if since is None:
            return peak
        known = [value for value in (peak, self.equity_at(since)) if value is not None]
        return max(known) if known else None

    # --- writing out ------------------------------------------------------------------------------
    def flush(self, connection: psycopg.Connection[Any], tables: frozenset[str] = frozenset(TABLES)) -> int:
        """COPY what is here for `tables` into them (cycles first: screens reference them) on the
        caller's connection and transaction. Returns the rows written."""
        cycles, screens, accounts = self._uncommitted
        written = 0
        with connection.cursor() as cursor:
            if self.cycles and tables & {"decision_cycles", "screener_logs"}:
                written += _copy(cursor, "decision_cycles", CYCLE_COLUMNS,
                                 (_cycle_values(row) for row in self.cycles.values()))
                cycles.update(self.cycles)
                self.cycles = {}
            if self.screens and "screener_logs" in tables:
                written += _copy(cursor, "screener_logs", SCREEN_COLUMNS,
                                 (tuple(row.get(c) for c in SCREEN_COLUMNS) for row in self.screens.values()))
                self._sequence_behind = True
                screens.update(self.screens)
                self.screens = {}
            if self.accounts and "account_snapshots" in tables:
                written += _copy(cursor, "account_snapshots", ACCOUNT_COLUMNS, self.accounts)
                accounts.extend(self.accounts)
                self.accounts = []
        for table in self.book.tables():
            if table.pending and table.name in tables:
                written += table.flush(connection)
        self.flushes += bool(written)
        self.rows_written += written
        return written

    def sync_sequences(self, connection: psycopg.Connection[Any]) -> None:
        """Move the table's own id sequence past the ids given here (before a commit), so that an
        insert made without the journal never collides."""
        if self._sequence_behind:
            connection.execute("SELECT setval(pg_get_serial_sequence('screener_logs', 'id'), %s)",
                               (self._next_screen_id - 1,))
            self._sequence_behind = False
        for table in self.book.tables():
            if table.uncommitted:
                connection.execute(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), %s)",
                                   (table.next_id - 1,))

    def committed(self) -> None:
        """The transaction the rows were written in committed: they are the database's now."""
        self._uncommitted = ({}, {}, [])
        for table in self.book.tables():
            table.committed()

    def rolled_back(self) -> None:
        """It rolled back: what it wrote is pending again (ahead of what came since)."""
        cycles, screens, accounts = self._uncommitted
        self.cycles, self.screens, self.accounts = ({**cycles, **self.cycles}, {**screens, **self.screens},
                                                    [*accounts, *self.accounts])
        self._uncommitted = ({}, {}, [])
        for table in self.book.tables():
            table.rolled_back()

    def flush_before_statements(self, engine: Engine, owns: Callable[[Connection], bool]) -> Callable[[], None]:
        """Write what is here before a statement that could see it runs on a connection of
        `engine` that `owns` names as the run's (another reader sees only what is committed);
        returns the function that stops it."""

        def before(conn: Connection, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> None:
            if not self.pending or not owns(conn):
                return
            named = frozenset(t for t in TABLES if t in statement)
            if not statement.startswith("SELECT"):
                target = _WRITE_TARGET.match(statement)
                if target is None:  # not a plain write of one table: let it see everything
                    named = frozenset(TABLES)
                elif target[1] in BOOK_TABLES:
                    raise BookWrittenWithSql(f"{target[1]} is held by the run's trade book; write it through its "
                                             f"repository (storage/run_trade_book.py)")
                else:
                    named |= _NEEDS.get(target[1], frozenset())
            wanted = _with_references(named)
            if wanted:
                self.flush(driver_connection(conn), wanted)

        event.listen(engine, "before_cursor_execute", before)
        return lambda: event.remove(engine, "before_cursor_execute", before)


def journal_of(holder: Any) -> RunJournal | None:
    """The journal a Database (attribute) or one of its sessions (`info`) carries; None live."""
    if isinstance(holder, Session):
        return holder.info.get("journal")
    return getattr(holder, "journal", None)


def _cycle_values(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(_json_text(row.get(c)) if c in JSON_CYCLE_COLUMNS else row.get(c) for c in CYCLE_COLUMNS)


def _json_text(value: Any) -> str | None:
    """JSON text for a JSONB column of COPY: a model serialised once (NaN and infinity as null)."""
    if value is None:
        return None
    return value.model_dump_json() if isinstance(value, BaseModel) else json.dumps(value)


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> int:
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def driver_connection(connection: Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy one (the journal copies its rows through it)."""
    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError(f"not a psycopg connection: {type(driver).__name__}")
    return driver
