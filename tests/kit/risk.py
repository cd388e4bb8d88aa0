"""Object mothers for risk-gate inputs: a BTC-USDT-SWAP-like instrument at a round price, a healthy
account, a RUNNING status and a fresh market view, each overridable by keyword.

Models are built with `model_construct` (no validation): the gate must cope with whatever reaches
it, including NaN and infinity that pydantic would refuse at a process boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from trading_bot.clock import start_of_utc_day
from trading_bot.domain.decision import Action, Decision
from trading_bot.domain.market import Instrument
from trading_bot.domain.orders import Account, Order, Position
from trading_bot.risk.market import InstrumentMarket, MarketView
from trading_bot.risk.status import RiskStatus

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
BTC = "BTC-USDT-SWAP"
ETH = "ETH-USDT-SWAP"
SOL = "SOL-USDT-SWAP"
D = Decimal


def instrument(inst_id: str = BTC, **overrides: Any) -> Instrument:
    fields: dict[str, Any] = dict(
        inst_id=inst_id, ct_val=D("0.01"), ct_val_ccy=inst_id.split("-")[0], settle_ccy="USDT",
        lot_sz=D("0.01"), min_sz=D("0.01"), tick_sz=D("0.1"), max_leverage=100,
        max_mkt_sz=D("12000"), max_lmt_sz=D("100000000"),
    )
    fields.update(overrides)
    return Instrument.model_construct(**fields)


def hourly_closes(start_price: str, moves: list[float], end: datetime = NOW) -> tuple[tuple[datetime, Decimal], ...]:
    """Closed 1H bars ending before `end` whose returns are `moves` (fractions)."""
    closes = [D(start_price)]
    for move in moves:
        closes.append((closes[-1] * D(str(1 + move))).quantize(D("0.0001")))
    first = start_of_utc_day(end) - timedelta(hours=len(closes))
    return tuple((first + timedelta(hours=i), close) for i, close in enumerate(closes))


def inst_market(inst_id: str = BTC, mark: str = "50000", last: str | None = None, closes=(), **spec: Any) -> InstrumentMarket:
    return InstrumentMarket.model_construct(instrument=instrument(inst_id, **spec), mark_price=D(mark),
                                            last_price=D(last if last is not None else mark), closes_1h=tuple(closes))


FRESH = {"price": 0.5, "ticker": 0.5, "book": 0.2}  # seconds old when the snapshot was taken


def market(*views: InstrumentMarket, snapshot_at: datetime | None = None, cycle_seconds: int = 300,
           pending: tuple[Order, ...] = (), data_ages: dict[str, float] | None = None) -> MarketView:
    """`data_ages`: source → seconds its newest datum was old at `snapshot_at` (default FRESH)."""
    views = views or (inst_market(),)
    snapshot_at = snapshot_at or NOW - timedelta(seconds=10)
    stamps = {name: snapshot_at - timedelta(seconds=age) for name, age in (data_ages or FRESH).items()}
    return MarketView(snapshot_at=snapshot_at, cycle_seconds=cycle_seconds, market_data_at=stamps,
                      instruments={v.instrument.inst_id: v for v in views}, pending_orders=pending)


def account(equity: str = "10000", available: str | None = None) -> Account:
    return Account.model_construct(equity=D(equity), available=D(available if available is not None else equity),
                                   frozen=D(0), upl=D(0), ts=NOW, ccy="USDT")


def status(**overrides: Any) -> RiskStatus:
    fields: dict[str, Any] = dict(day_start=start_of_utc_day(NOW), day_start_equity=D("10000"),
                                  peak_equity=D("10000"))
    fields.update(overrides)
    return RiskStatus(**fields)


def long(size_pct: str = "5", stop: str | None = "49000", take: str | None = "52000", **overrides: Any) -> Decision:
    fields: dict[str, Any] = dict(inst_id=BTC, action=Action.OPEN_LONG, size_pct=D(size_pct), leverage=D("3"),
                                  stop_loss=D(stop) if stop else None, take_profit=D(take) if take else None)
    fields.update(overrides)
    return Decision.model_construct(**fields)


def short(size_pct: str = "5", stop: str | None = "51000", take: str | None = "48000", **overrides: Any) -> Decision:
    return long(size_pct, stop, take, action=Action.OPEN_SHORT, **overrides)


def position(inst_id: str = ETH, side: str = "long", size: str = "1", price: str = "3000", **overrides: Any) -> Position:
    fields: dict[str, Any] = dict(
        inst_id=inst_id, side=side, pos_side=side, mgn_mode="isolated", size=D(size), avg_px=D(price),
        mark_px=D(price), upl=D(0), realized_pnl=D(0), fee=D(0), funding_fee=D(0), margin=None, imr=None,
        liq_px=None, leverage=D(3), created_at=NOW, updated_at=NOW,
    )
    fields.update(overrides)
    return Position.model_construct(**fields)


def pending_order(inst_id: str = ETH, side: str = "buy", size: str = "1", price: str = "3000",
                  reduce_only: bool = False) -> Order:
    return Order.model_construct(ord_id="1", cl_ord_id=None, inst_id=inst_id, side=side,
                                 pos_side="long" if side == "buy" else "short",
                 ord_type="limit", state="live", size=D(size), price=D(price), avg_px=None, filled=D(0),
                 fee=D(0), pnl=D(0), reduce_only=reduce_only, created_at=NOW, updated_at=NOW)
