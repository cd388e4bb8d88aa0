"""No look-ahead: rewrite every bar after t (and the part of the bar opening at t that lies after
t) and the backtest's cycles up to t see, decide and trade exactly as before."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.integration.backtest.conftest import FUNDING, ONE_MINUTE, cycles_of, trades_of, upto
from trading_bot.clock import parse_iso
from trading_bot.storage.db import Database

pytestmark = [pytest.mark.shared, pytest.mark.slow]
START, T, END = "2026-01-05T00:00:00Z", "2026-01-05T07:00:00Z", "2026-01-05T12:00:00Z"


def altered_copy(source: Path, target: Path, after: str) -> None:
    frame = pd.read_feather(source)
    when = pd.Timestamp(after)
    dates = pd.to_datetime(frame["date"], utc=True)
    later, at = dates > when, dates == when
    for column in ("open", "high", "low", "close"):
        frame.loc[later, column] = frame.loc[later, column] * 1.07
    frame.loc[later, "volume"] = frame.loc[later, "volume"] * 5
    frame.loc[at, "close"] = frame.loc[at, "close"] * 1.07  # its open is known at t, the rest is not
    frame.loc[at, "high"] = frame.loc[at, "high"] * 1.07
    frame.to_feather(target)


def test_altering_the_future_changes_nothing_up_to_t(shared_dir: Path, tmp_path: Path, run_window) -> None:  # noqa: ANN001
    original = shared_dir / "data" / ONE_MINUTE
    altered = tmp_path / "okx_BTC-USDT-SWAP_1m_altered.feather"
    altered_copy(original, altered, T)
    funding = str(shared_dir / "data" / FUNDING)
    db_a = run_window([str(original), funding], START, END, "bt-la").db
    db_b = run_window([str(altered), funding], START, END, "bt-la").db

    t = parse_iso(T)
    seen_a, seen_b = cycles_of(db_a, "bt-la"), cycles_of(db_b, "bt-la")
    assert len(upto(seen_a, t)) == 28
    assert upto(seen_a, t) == upto(seen_b, t)
    assert seen_a != seen_b, "the alteration does show after t (the test would prove nothing otherwise)"
    assert any(r["decision"] for r in upto(seen_a, t)), "the analyst decided something before t"

    def entries(db: Database) -> list[tuple]:
        return [(x.entry_ts, x.side, x.entry_px, x.size, x.stop_loss, x.take_profit)
                for x in trades_of(db, "bt-la") if x.entry_ts <= t]

    def exits(db: Database) -> list[tuple]:
        return [(x.entry_ts, x.exit_ts, x.exit_px, x.net_pnl)
                for x in trades_of(db, "bt-la") if x.exit_ts is not None and x.exit_ts <= t]

    assert entries(db_a) and entries(db_a) == entries(db_b)
    assert exits(db_a) == exits(db_b)
