"""The backtest's snapshots: analysing only the bars a window can reach gives the very snapshots
of analysing the venue's whole history, and a snapshot asked for at another time than the venue's
is refused (its ticker and book would come from another moment)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.integration.backtest.conftest import INST, ONE_MINUTE
from trading_bot.backtest.source import backtest_snapshots
from trading_bot.clock import parse_iso
from trading_bot.exchange.sim.inprocess import InProcessExchange
from trading_bot.exchange.sim.runtime import SimSpec, build_venue

pytestmark = [pytest.mark.shared]


def test_sliced_history_gives_equal_snapshots(shared_dir: Path) -> None:
    start = parse_iso("2026-01-09T00:00:00Z")
    end = start + timedelta(days=2)
    exchange = InProcessExchange(build_venue(SimSpec(data=[str(shared_dir / "data" / ONE_MINUTE)], start=start,
                                                     speed=0), start))
    whole = backtest_snapshots(exchange, INST, 200)
    window = backtest_snapshots(exchange, INST, 200, start, end)
    compared = 0
    for step in range(1, 2 * 96, 5):
        at = start + timedelta(minutes=15 * step)
        exchange.advance_to(at)
        assert window(INST, at) == whole(INST, at), at
        compared += 1
    assert compared == 39
    with pytest.raises(ValueError, match="not at the snapshot time"):
        window(INST, end - timedelta(hours=1))
