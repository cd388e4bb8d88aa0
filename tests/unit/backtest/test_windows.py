"""Splitting a backtest's cycle slots into windows, a window's payload, and the statistics across
windows (expected numbers worked out by hand beside them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trading_bot.backtest.runner import cycle_slots
from trading_bot.backtest.windows import Window, WindowError, combine, split, spread, window_row, windows

START = datetime(2024, 3, 1, tzinfo=UTC)
CYCLE = timedelta(minutes=15)


def slots(count: int, start: datetime = START) -> list[datetime]:
    return [start + CYCLE * (i + 1) for i in range(count)]


def test_slots_split_evenly() -> None:
    spans = split(START, slots(12), 4)
    assert [s.cycles for s in spans] == [3, 3, 3, 3]
    assert [s.end for s in spans] == [START + CYCLE * 3, START + CYCLE * 6, START + CYCLE * 9, START + CYCLE * 12]
    assert [s.start for s in spans] == [START, START + CYCLE * 3, START + CYCLE * 6, START + CYCLE * 9]


def test_the_remainder_goes_one_each_to_the_first_windows() -> None:
    assert [s.cycles for s in split(START, slots(14), 4)] == [4, 4, 3, 3]  # 14 = 4·3 + 2
    assert [s.cycles for s in split(START, slots(5), 5)] == [1, 1, 1, 1, 1]
    assert [s.cycles for s in split(START, slots(7), 1)] == [7]


@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=40),
       st.integers(min_value=0, max_value=899))
def test_every_slot_in_exactly_one_window_and_the_windows_chain(total: int, count: int, offset: int) -> None:
    if count > total:
        return
    start = START + timedelta(seconds=offset)  # a --from off the cycle grid
    grid = cycle_slots(start, start + CYCLE * total, CYCLE)
    spans = split(start, grid, count)
    # a window's slots are the grid's slots after its start up to its end, as plan() finds them
    found = [cycle_slots(s.start, s.end, CYCLE) for s in spans]
    assert [len(f) for f in found] == [s.cycles for s in spans]
    assert [slot for window in found for slot in window] == grid  # no gap, no overlap, in order
    assert spans[0].start == start and spans[-1].end == grid[-1]
    assert all(a.end == b.start for a, b in zip(spans, spans[1:], strict=False))
    assert max(s.cycles for s in spans) - min(s.cycles for s in spans) <= 1


@pytest.mark.parametrize(("total", "count", "message"), [
    (10, 0, "--windows: expected at least 1 window, got 0"),
    (10, -2, "--windows: expected at least 1 window, got -2"),
    (3, 4, "--windows 4: the period has only 3 cycle slots, fewer than the windows"),
])
def test_impossible_splits_say_why(total: int, count: int, message: str) -> None:
    with pytest.raises(WindowError) as caught:
        split(START, slots(total), count)
    assert str(caught.value) == message


def test_a_window_travels_as_plain_json_and_comes_back_equal() -> None:
    (window, second) = windows(split(START, slots(9), 2), "bt-x", ["/data/a.feather"], "BTC-USDT-SWAP", 900,
                               Decimal("10000.50"), seed=7)
    payload = json.loads(json.dumps(window.payload()))
    assert payload == {"number": 1, "run_id": "bt-x-w1", "data": ["/data/a.feather"], "instrument": "BTC-USDT-SWAP",
                       "start": "2024-03-01T00:00:00+00:00", "end": "2024-03-01T01:15:00+00:00", "cycles": 5,
                       "cycle_seconds": 900, "equity": "10000.50", "seed": 7, "brain": "rules", "keep": False}
    assert Window.from_payload(payload) == window
    assert second.run_id == "bt-x-w2" and second.start == window.end and second.cycles == 4


def summary(run_id: str, final: str, total_return: float | None, drawdown: float, bench: float | None,
            trades: int = 2) -> dict:
    """The parts of a summary.json a window's row reads."""
    equity = None if total_return is None else {"total_return": total_return, "max_drawdown": {"pct": drawdown}}
    return {"run_id": run_id, "start": "2024-03-01T00:00:00+00:00", "end": "2024-03-02T00:00:00+00:00",
            "cycles": 96, "initial_equity": "10000", "final_equity": final, "halted": None,
            "metrics": {"equity": equity, "trades": {"trades": trades},
                        "buy_and_hold": None if bench is None else {"total_return": bench}}}


def test_a_row_is_the_window_summary_figures() -> None:
    row = window_row(2, summary("bt-w2", "10150.5", 0.01505, 0.004, -0.02, trades=5), "bt1@host")
    assert row == {"window": 2, "run_id": "bt-w2", "start": "2024-03-01T00:00:00+00:00",
                   "end": "2024-03-02T00:00:00+00:00", "cycles": 96, "trades": 5, "initial_equity": "10000",
                   "final_equity": "10150.5", "total_return": 0.01505, "max_drawdown": 0.004,
                   "buy_and_hold_return": -0.02, "halted": None, "worker": "bt1@host"}


def test_median_worst_and_best_across_windows() -> None:
    rows = [window_row(k, summary(f"bt-w{k}", "0", r, 0.0, b), None)
            for k, r, b in ((1, 0.02, 0.10), (2, -0.03, -0.05), (3, 0.05, 0.01), (4, 0.01, 0.01))]
    combined = combine({"run_id": "bt"}, list(reversed(rows)), failed={})
    assert [r["window"] for r in combined["windows"]] == [1, 2, 3, 4]
    # returns sorted: -0.03 (w2), 0.01 (w4), 0.02 (w1), 0.05 (w3): median (0.01 + 0.02) / 2 = 0.015
    assert combined["across"]["total_return"] == {"median": pytest.approx(0.015), "windows": 4,
                                                  "worst": {"window": 2, "value": -0.03},
                                                  "best": {"window": 3, "value": 0.05}}
    # buy-and-hold sorted: -0.05 (w2), 0.01 (w3), 0.01 (w4), 0.10 (w1): median 0.01; w3 and w4 tie
    bench = combined["across"]["buy_and_hold_return"]
    assert bench["median"] == pytest.approx(0.01) and bench["worst"] == {"window": 2, "value": -0.05}
    assert bench["best"] == {"window": 1, "value": 0.10}
    assert combined["failed"] == {}


def test_an_odd_count_has_the_middle_value_as_median_and_ties_name_the_earlier_window() -> None:
    rows = [window_row(k, summary("r", "0", r, 0.0, None), None) for k, r in ((1, 0.02), (2, 0.02), (3, -0.01))]
    stats = spread(rows, "total_return")
    assert stats == {"median": 0.02, "windows": 3, "worst": {"window": 3, "value": -0.01},
                     "best": {"window": 1, "value": 0.02}}
    assert spread(rows, "buy_and_hold_return") is None  # no window had prices


def test_windows_without_a_figure_and_failed_windows_stay_out_of_the_spread() -> None:
    rows = [window_row(1, summary("r", "0", None, 0.0, 0.03), None), window_row(3, summary("r", "0", 0.04, 0.0, 0.01), None)]
    combined = combine({}, rows, failed={2: "window 2: no such file"})
    assert combined["windows"][0]["total_return"] is None and combined["windows"][0]["max_drawdown"] is None
    assert combined["across"]["total_return"] == {"median": 0.04, "windows": 1, "worst": {"window": 3, "value": 0.04},
                                                  "best": {"window": 3, "value": 0.04}}
    assert combined["across"]["buy_and_hold_return"]["median"] == pytest.approx(0.02)
    assert combined["failed"] == {"2": "window 2: no such file"}
