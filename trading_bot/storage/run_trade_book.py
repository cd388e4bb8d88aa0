"""A backtest's trade journal in memory: its `orders`, `trades` and `reflection_logs` rows, with the
queries the pipeline asks of them, answered as the SQL of repos/orders, repos/journal,
repos/reflections and repos/risk_counters answers them.

A trade touches these tables some thirty times between its entry and its review; live each is a
statement, here a dictionary lookup or a bisect. The book is the run's whole record of them (rows
stay after they are written, so every answer comes from here); the run journal (run_journal.py)
writes new rows with COPY and rows changed since they were written with one UPDATE each, at its
checkpoints and before any SQL statement that reads these tables. A SQL write to them while the
book holds the run would make the two disagree, so the journal refuses it.

Ids are given here (the run's database is its own and new; the journal moves the tables'
sequences past them before each commit)."""

from __future__ import annotations

import json
from bisect import bisect_right, insort
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

ORDER_COLUMNS = ("id", "run_id", "ord_id", "cl_ord_id", "cycle_id", "trade_id", "instrument", "side", "pos_side",
                 "ord_type", "purpose", "state", "size", "price", "avg_px", "filled", "fee", "pnl", "reduce_only",
                 "sl_trigger_px", "tp_trigger_px", "raw", "created_at", "updated_at")
TRADE_COLUMNS = ("id", "run_id", "cycle_id", "instrument", "side", "status", "strategy", "regime", "confidence",
                 "leverage", "size", "notional", "entry_ts", "entry_px", "stop_loss", "take_profit", "exit_ts",
                 "exit_px", "close_reason", "realized_pnl", "fees", "funding", "net_pnl", "r_multiple",
                 "entry_cl_ord_id", "pos_id", "created_at")
REFLECTION_COLUMNS = ("id", "run_id", "kind", "trade_id", "llm_call_id", "model", "content", "lessons",
                      "playbook_version_before", "playbook_version_after", "created_at")
# as repos/orders: the columns an update from the exchange sets, and those it keeps unless given
EXCHANGE_COLUMNS = ("state", "size", "price", "avg_px", "filled", "fee", "pnl", "reduce_only", "updated_at")
KEPT_UNLESS_GIVEN = ("cycle_id", "purpose", "sl_trigger_px", "tp_trigger_px", "cl_ord_id", "raw")
# written in this order: a row references only tables before it
TABLES = ("trades", "orders", "reflection_logs")


@dataclass
class _Table:
    """One table's rows (all of the run's, by key) and which of them the database lacks."""

    name: str
    columns: tuple[str, ...]
    json_columns: frozenset[str]
    rows: dict[Any, dict[str, Any]] = field(default_factory=dict)
    new: dict[Any, None] = field(default_factory=dict)  # never written (insertion order)
    changed: dict[Any, None] = field(default_factory=dict)  # written, changed since
    next_id: int = 1
    # written in the open transaction: (key, was new) — pending again if it rolls back
    uncommitted: list[tuple[Any, bool]] = field(default_factory=list)

    def add(self, key: Any, row: dict[str, Any]) -> dict[str, Any]:
        row["id"] = self.next_id
        self.next_id += 1
        self.rows[key] = row
        self.new[key] = None
        return row

    def touched(self, key: Any) -> None:
        if key not in self.new:
            self.changed[key] = None

    @property
    def pending(self) -> int:
        return len(self.new) + len(self.changed)

    def flush(self, connection: psycopg.Connection[Any]) -> int:
        written = 0
        with connection.cursor() as cursor:
            if self.new:
                with cursor.copy(f"COPY {self.name} ({', '.join(self.columns)}) FROM STDIN") as copy:
                    for key in self.new:
                        copy.write_row(self._values(self.rows[key], json.dumps))
                written += len(self.new)
            if self.changed:
                assignments = ", ".join(f"{c} = %s" for c in self.columns[1:])
                cursor.executemany(f"UPDATE {self.name} SET {assignments} WHERE id = %s",
                                   [(*self._values(self.rows[key], Jsonb)[1:], self.rows[key]["id"])
                                    for key in self.changed])
                written += len(self.changed)
        self.uncommitted += [(key, True) for key in self.new] + [(key, False) for key in self.changed]
        self.new, self.changed = {}, {}
        return written

    def _values(self, row: dict[str, Any], as_json: Any) -> tuple[Any, ...]:
        return tuple(as_json(row[c]) if c in self.json_columns and row[c] is not None else row[c]
                     for c in self.columns)

    def committed(self) -> None:
        self.uncommitted = []

    def rolled_back(self) -> None:
        new = {key: None for key, was_new in self.uncommitted if was_new}
        changed = {key: None for key, was_new in self.uncommitted if not was_new}
        self.new = {**new, **self.new}
        self.changed = {key: None for key in {**changed, **self.changed} if key not in self.new}
        self.uncommitted = []


def _exit_key(row: dict[str, Any]) -> tuple[datetime, int]:
    return row["exit_ts"], row["id"]


class RunTradeBook:
    def __init__(self) -> None:
        self.orders = _Table("orders", ORDER_COLUMNS, frozenset({"raw"}))
        self.trades = _Table("trades", TRADE_COLUMNS, frozenset())
        self.reflections = _Table("reflection_logs", REFLECTION_COLUMNS, frozenset({"content", "lessons"}))
        self._trade_of_cycle: dict[str, int] = {}
        self._open: dict[int, None] = {}  # ids of the open trades
        # per run: closed trades by (exit_ts, id), the order every closed-trade query reads them in
        self._closed: dict[str, list[tuple[datetime, int]]] = {}
        self._reviewed: set[tuple[int, str]] = set()  # (trade id, kind) of every reflection
        # (run, kind) → the reflections by `created_at` (ties in the order stored), with their times
        self._reflections_of: dict[tuple[str, str], tuple[list[datetime], list[dict[str, Any]]]] = {}

    def tables(self) -> Iterator[_Table]:
        yield from (self.trades, self.orders, self.reflections)

    @property
    def pending(self) -> int:
        return sum(table.pending for table in self.tables())

    # --- orders -----------------------------------------------------------------------------------
    def upsert_order(self, values: dict[str, Any]) -> tuple[str, Decimal, Decimal, Decimal, str | None] | None:
        """As repos/orders.upsert_order: the progress stored before, None for a new order."""
        key = (values["instrument"], values["ord_id"])
        row = self.orders.rows.get(key)
        if row is None:
            self.orders.add(key, {"trade_id": None, **values})
            return None
        before = (row["state"], row["filled"], row["fee"], row["pnl"], row["cycle_id"])
        if row["updated_at"] <= values["updated_at"]:  # an older update never overwrites newer state
            row.update({c: values[c] for c in EXCHANGE_COLUMNS})
            row.update({c: values[c] for c in KEPT_UNLESS_GIVEN if values[c] is not None})
            self.orders.touched(key)
        return before

    def link_order(self, instrument: str, ord_id: str, trade_id: int) -> None:
        key = (instrument, ord_id)
        if key in self.orders.rows:
            self.orders.rows[key]["trade_id"] = trade_id
            self.orders.touched(key)

    # --- trades -----------------------------------------------------------------------------------
    def open_trade(self, values: dict[str, Any]) -> int:
        """As repos/journal.open_trade: once per cycle."""
        existing = self._trade_of_cycle.get(values["cycle_id"])
        if existing is not None:
            return existing
        row = {column: None for column in TRADE_COLUMNS} | values | {"created_at": datetime.now(UTC)}
        trade_id = int(self.trades.add(self.trades.next_id, row)["id"])
        self._trade_of_cycle[values["cycle_id"]] = trade_id
        self._open[trade_id] = None
        return trade_id

    def trade(self, trade_id: int) -> dict[str, Any] | None:
        return self.trades.rows.get(trade_id)

    def find_open_trade(self, instrument: str, side: str, before: datetime, run_id: str) -> int | None:
        """The newest open trade of this instrument and side entered at or before `before`."""
        found: dict[str, Any] | None = None
        for trade_id in self._open:
            row = self.trades.rows[trade_id]
            if (row["status"] == "open" and row["run_id"] == run_id and row["instrument"] == instrument
                    and row["side"] == side and row["entry_ts"] <= before
                    and (found is None or row["entry_ts"] > found["entry_ts"])):
                found = row
        return None if found is None else int(found["id"])

    def close_trade(self, trade_id: int, values: dict[str, Any]) -> dict[str, Any] | None:
        """Set a trade's close; None when it is not open."""
        row = self.trades.rows.get(trade_id)
        if row is None or row["status"] != "open":
            return None
        row.update(values, status="closed")
        self.trades.touched(trade_id)
        del self._open[trade_id]
        if row["exit_ts"] is not None:
            insort(self._closed.setdefault(row["run_id"], []), _exit_key(row))
        return row

    def closed_newest_first(self, run_id: str, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Closed trades with an exit after `since`, newest exit first (ties: highest id first)."""
        keys = self._closed.get(run_id, [])
        first = 0 if since is None else bisect_right(keys, (since, 2**63))
        for index in range(len(keys) - 1, first - 1, -1):
            yield self.trades.rows[keys[index][1]]

    def count_closed_since(self, run_id: str, since: datetime | None) -> int:
        keys = self._closed.get(run_id, [])
        return len(keys) - (0 if since is None else bisect_right(keys, (since, 2**63)))

    def first_exit(self, run_id: str) -> datetime | None:
        keys = self._closed.get(run_id)
        return keys[0][0] if keys else None

    def unreviewed_closed(self, run_id: str, limit: int) -> list[dict[str, Any]]:
        """Closed trades without a post-trade review, oldest exit first."""
        found = []
        for _, trade_id in self._closed.get(run_id, []):
            if (trade_id, "post_trade") not in self._reviewed:
                found.append(self.trades.rows[trade_id])
                if len(found) == limit:
                    break
        return found

    # --- reflection_logs --------------------------------------------------------------------------
    def insert_reflection(self, values: dict[str, Any]) -> int:
        row = self.reflections.add(self.reflections.next_id, dict(values))
        if row["trade_id"] is not None:
            self._reviewed.add((row["trade_id"], row["kind"]))
        times, rows = self._reflections_of.setdefault((row["run_id"], row["kind"]), ([], []))
        at = bisect_right(times, row["created_at"])
        times.insert(at, row["created_at"])
        rows.insert(at, row)
        return int(row["id"])

    def reflected(self, trade_id: int, kind: str) -> bool:
        return (trade_id, kind) in self._reviewed

    def reflections_newest_first(self, run_id: str, kind: str, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Created after `since`, newest first; reflections made at the same time, the later stored first."""
        times, rows = self._reflections_of.get((run_id, kind), ([], []))
        first = 0 if since is None else bisect_right(times, since)
        for index in range(len(rows) - 1, first - 1, -1):
            yield rows[index]
