"""The plain inputs of the performance metrics: closed trades and an equity series.

Both are small frozen dataclasses so a live run (rows from PostgreSQL), a backtest (objects in
memory or CSV files) and a test (a hand-written list) feed the metrics the same way.

Sign conventions follow the ledger (`trades` table, `PositionClosed`): `pnl` is the price PnL,
`fees` and `funding` are signed cash flows (negative = paid), `net_pnl = pnl + fees + funding`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

ZERO = Decimal(0)


def _require_utc(name: str, when: datetime) -> None:
    if when.tzinfo is None or when.utcoffset() != timedelta(0):
        raise ValueError(f"{name} must be timezone-aware UTC, got {when!r}")


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """One round trip, opened at `entry_ts` and closed at `exit_ts`."""

    entry_ts: datetime
    exit_ts: datetime
    pnl: Decimal  # price PnL in USDT, before fees and funding
    fees: Decimal = ZERO  # negative = paid
    funding: Decimal = ZERO  # negative = paid
    side: str = "long"  # long | short
    strategy: str = ""
    regime: str | None = None
    instrument: str = ""
    entry_px: Decimal | None = None
    exit_px: Decimal | None = None
    size: Decimal | None = None  # contracts
    notional: Decimal | None = None  # USDT at entry
    confidence: float | None = None  # the analyst's stated confidence, 0..1
    r_multiple: Decimal | None = None  # net PnL in units of the initial risk (entry to stop-loss)
    trade_id: int | None = None

    def __post_init__(self) -> None:
        _require_utc("entry_ts", self.entry_ts)
        _require_utc("exit_ts", self.exit_ts)
        if self.exit_ts < self.entry_ts:
            raise ValueError(f"trade {self.trade_id}: exit {self.exit_ts} is before entry {self.entry_ts}")
        if self.side not in ("long", "short"):
            raise ValueError(f"trade {self.trade_id}: side must be long or short, got {self.side!r}")

    @property
    def net_pnl(self) -> Decimal:
        return self.pnl + self.fees + self.funding

    @property
    def hold(self) -> timedelta:
        return self.exit_ts - self.entry_ts


@dataclass(frozen=True, slots=True)
class EquityPoint:
    """Account equity (USDT, realised + unrealised) observed at `ts`."""

    ts: datetime
    equity: Decimal

    def __post_init__(self) -> None:
        _require_utc("ts", self.ts)


def sorted_equity(points: Iterable[EquityPoint]) -> list[EquityPoint]:
    """Points in time order; two observations at the same instant are a data error."""
    ordered = sorted(points, key=lambda p: p.ts)
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.ts == after.ts:
            raise ValueError(f"two equity observations at {after.ts.isoformat()}")
    return ordered


def by_exit(trades: Iterable[ClosedTrade]) -> list[ClosedTrade]:
    """Trades in the order they closed (ties keep entry order): the order streaks are counted in."""
    return sorted(trades, key=lambda t: (t.exit_ts, t.entry_ts))


def equity_from_trades(trades: Sequence[ClosedTrade], initial: Decimal, start: datetime) -> list[EquityPoint]:
    """A realised-only equity curve: `initial` at `start`, then one step per closed trade.

    Unrealised PnL of open positions is invisible here, so drawdowns can look smaller than the
    account's; prefer observed equity (`account_snapshots`, a backtest's equity file) when it exists.
    """
    points = [EquityPoint(start, initial)]
    equity = initial
    for trade in by_exit(trades):
        if trade.exit_ts < start:
            raise ValueError(f"trade {trade.trade_id} closed at {trade.exit_ts}, before the start {start}")
        equity += trade.net_pnl
        if trade.exit_ts <= points[-1].ts:
            points[-1] = EquityPoint(points[-1].ts, equity)
        else:
            points.append(EquityPoint(trade.exit_ts, equity))
    return points
