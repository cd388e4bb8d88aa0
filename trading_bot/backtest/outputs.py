"""A backtest's files: `summary.json` (the run and every metric), `trades.csv` (closed trades),
`equity.csv` (the equity curve), and the HTML report beside them.

The CSV files hold exact values (Decimal text, ISO-8601 UTC times), so `read_trades` and
`read_equity` give back the very inputs the summary's metrics were computed from."""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from trading_bot.backtest.inputs import ClosedTrade, EquityPoint
from trading_bot.backtest.metrics import Metrics, to_jsonable

SUMMARY = "summary.json"
TRADES = "trades.csv"
EQUITY = "equity.csv"
TRADE_FIELDS = [f.name for f in dataclasses.fields(ClosedTrade)] + ["net_pnl"]
_DECIMALS = {"pnl", "fees", "funding", "entry_px", "exit_px", "size", "notional", "r_multiple"}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def write_trades(path: Path, trades: Sequence[ClosedTrade]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRADE_FIELDS)
        for trade in trades:
            writer.writerow([_text(getattr(trade, name)) for name in TRADE_FIELDS])


def read_trades(path: Path) -> list[ClosedTrade]:
    def value(name: str, text: str) -> Any:
        if text == "":
            return None if name not in ("strategy", "instrument") else ""
        if name in _DECIMALS:
            return Decimal(text)
        if name in ("entry_ts", "exit_ts"):
            return datetime.fromisoformat(text)
        if name == "confidence":
            return float(text)
        if name == "trade_id":
            return int(text)
        return text

    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = set(TRADE_FIELDS) - {"net_pnl"}
    return [ClosedTrade(**{k: value(k, v) for k, v in row.items() if k in names}) for row in rows]


def write_equity(path: Path, equity: Sequence[EquityPoint]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ts", "equity"])
        for point in equity:
            writer.writerow([point.ts.isoformat(), str(point.equity)])


def read_equity(path: Path) -> list[EquityPoint]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [EquityPoint(datetime.fromisoformat(row["ts"]), Decimal(row["equity"])) for row in csv.DictReader(handle)]


def write_summary(path: Path, run: dict[str, Any], metrics: Metrics) -> dict[str, Any]:
    document = {**to_jsonable(run), "metrics": to_jsonable(metrics)}
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return document
