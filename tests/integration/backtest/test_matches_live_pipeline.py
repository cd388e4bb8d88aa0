"""The backtest trades like the live pipeline: the same hours of real 1m candles run (a) through
the backtest (in-process venue, precomputed snapshots) and (b) through the live-style pipeline —
the same stages with the OKX REST adapter over HTTP against `trading-bot sim`'s server, the venue's
clock, snapshots built from REST candles, ticker, book and funding — give the same trades: entry
and exit times equal, prices within one tick."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.integration.backtest.conftest import FUNDING, INST, ONE_MINUTE, trades_of
from tests.integration.okx.conftest import adapter_for
from tests.kit.sim import running_sim
from trading_bot.backtest.inprocess import exchange_snapshots
from trading_bot.brain.alerts import MemoryAlerts
from trading_bot.brain.factory import build_brain
from trading_bot.brain.playbook import PlaybookStore
from trading_bot.clock import ManualClock, parse_iso
from trading_bot.config import Settings
from trading_bot.domain.events import PositionClosed
from trading_bot.exchange.orders import close
from trading_bot.pipeline.closing import journal_pending_closes, review_pending
from trading_bot.pipeline.flow import run_cycle
from trading_bot.pipeline.ports import MemoryEvents, Ports
from trading_bot.pipeline.wiring import pipeline_settings
from trading_bot.risk.service import RiskService
from trading_bot.storage.db import Database
from trading_bot.storage.streams import Keys

pytestmark = [pytest.mark.shared, pytest.mark.slow]
START, END = "2026-01-05T00:00:00Z", "2026-01-05T08:00:00Z"
TICK = Decimal("0.1")


class SimCloseFeed:
    """Close events from the simulator server's venue (in this process: the test's server thread),
    standing in for ws-private's position_closed events."""

    def __init__(self, sim) -> None:  # noqa: ANN001
        self._sim = sim
        sim.call(lambda s: setattr(s.venue.engine.positions, "closed_log", []))
        self._pending: dict[str, PositionClosed] = {}
        self._count = 0

    def pending(self) -> list[tuple[str, PositionClosed]]:
        def take(server):  # noqa: ANN001, ANN202
            log, server.venue.engine.positions.closed_log = server.venue.engine.positions.closed_log, []
            return log

        for c in self._sim.call(take):
            self._count += 1
            self._pending[str(self._count)] = PositionClosed(
                inst_id=c.inst_id, side=c.side, size=c.size, entry_px=c.entry_px, exit_px=c.exit_px,
                realized_pnl=c.pnl, fees=c.fee, funding=c.funding, opened_at=_ms(c.opened_ms),
                closed_at=_ms(c.closed_ms), pos_id=c.pos_id, close_reason=c.reason)
        return list(self._pending.items())

    def done(self, handle: str) -> None:
        self._pending.pop(handle, None)


def _ms(ms: int):  # noqa: ANN202
    from trading_bot.clock import from_ms

    return from_ms(ms)


def live_style_run(sim, settings: Settings, db: Database) -> None:  # noqa: ANN001
    exchange = adapter_for(sim)
    # the paused venue's time, read over HTTP once per cycle (a VenueClock sampling at every
    # now() would wait out the /public/time rate limit, 10 requests per 2 s)
    clock = ManualClock(exchange.server_time())
    ports = Ports(
        db=db, exchange=exchange, brain=build_brain(settings, db, MemoryAlerts(), clock, "live"),
        risk=RiskService(db, None, Keys(settings.redis_namespace), clock, "live", settings.risk_limits()),
        clock=clock, playbooks=PlaybookStore(db), events=MemoryEvents(),
        snapshot=exchange_snapshots(exchange, settings.snapshot_bars),  # type: ignore[arg-type]
        config=pipeline_settings(settings), closes=SimCloseFeed(sim), run_id="live", rng=random.Random(0),
    )
    slot = parse_iso(START)
    while slot < parse_iso(END):
        sim.advance(minutes=15)
        slot += timedelta(minutes=15)
        clock.set(exchange.server_time())
        assert clock.now() == slot
        run_cycle(ports, INST, slot)
    for position in exchange.positions():
        close(exchange, position)
    journal_pending_closes(ports)
    review_pending(ports)


def test_backtest_and_live_pipeline_make_the_same_trades(shared_dir: Path, backtest_settings: Settings,
                                                         database: Database, run_window) -> None:  # noqa: ANN001
    settings = backtest_settings.model_copy(update={"cycle_seconds": 900})
    data = [str(shared_dir / "data" / ONE_MINUTE), str(shared_dir / "data" / FUNDING)]
    backtest = run_window(data, START, END, "bt-eq")
    with running_sim(data=data, start=START) as sim:
        live_style_run(sim, settings, database)

    def trades(db: Database, run_id: str) -> list:
        return trades_of(db, run_id)

    ours, theirs = trades(backtest.db, "bt-eq"), trades(database, "live")
    assert len(ours) >= 3, "the window trades (else the comparison proves little)"
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert (a.side, a.strategy, a.size, a.entry_ts, a.exit_ts, a.close_reason) == \
            (b.side, b.strategy, b.size, b.entry_ts, b.exit_ts, b.close_reason)
        assert abs(a.entry_px - b.entry_px) <= TICK and abs(a.exit_px - b.exit_px) <= TICK
        assert abs(a.stop_loss - b.stop_loss) <= TICK and abs(a.take_profit - b.take_profit) <= TICK
