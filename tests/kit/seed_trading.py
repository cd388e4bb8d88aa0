"""Trade mechanics of the seeded history: decisions, the exit path through later bars (stop-loss
checked before take-profit inside a bar, a time exit after 4 hours), PnL, fees and funding, and
the journal rows (trade, orders, fills, position history) of one round trip."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from tests.kit.seed_market import INSTRUMENT, TICK, Bar
from tests.kit.seed_records import OPUS, money
from trading_bot.backtest.inputs import ClosedTrade
from trading_bot.domain.decision import Action, Decision
from trading_bot.storage.models import FillRow, Order, PositionHistory, Trade

CT_VAL = Decimal("0.01")
LOT = Decimal("0.01")
TAKER_FEE = Decimal("0.0005")
MAX_HOLD_BARS = 16
FUNDING_HOURS = (0, 8, 16)
# the default playbook's strategies; "breakout" in volatile markets is one the analyst made up
STRATEGY_BY_REGIME = {"trending_up": "trend_pullback", "trending_down": "trend_pullback",
                      "ranging": "range_reversion", "volatile": "breakout"}
# regime → weights of (OPEN_LONG, OPEN_SHORT, HOLD)
ACTION_WEIGHTS = {"trending_up": (65, 5, 30), "trending_down": (5, 65, 30), "ranging": (35, 35, 30),
                  "volatile": (20, 20, 60)}


def decide(rng: random.Random, bar: Bar, cycle_id: str, flat: bool, force_open: bool = False) -> Decision:
    """The analyst's answer; with a position open it manages it (HOLD: the stops are on the exchange)."""
    action = rng.choices((Action.OPEN_LONG, Action.OPEN_SHORT, Action.HOLD), ACTION_WEIGHTS[bar.regime])[0]
    if force_open and action is Action.HOLD:
        action = Action.OPEN_SHORT if bar.regime == "trending_down" else Action.OPEN_LONG
    if not flat:
        return Decision.hold(INSTRUMENT, "position open: stops in place", model=OPUS, cycle_id=cycle_id)
    if action is Action.HOLD:
        return Decision.hold(INSTRUMENT, f"{bar.regime}: no edge at {bar.close}", model=OPUS, cycle_id=cycle_id)
    direction = 1 if action is Action.OPEN_LONG else -1
    stop_distance = bar.close * Decimal(repr(round(rng.uniform(0.003, 0.009), 4)))
    reward = Decimal(repr(round(rng.uniform(1.6, 3.0), 2)))
    return Decision(
        inst_id=INSTRUMENT, action=action, size_pct=Decimal(rng.choice((2, 3, 4, 5))),
        leverage=Decimal(rng.choice((1, 2, 3))), entry_price=bar.close,
        stop_loss=_tick(bar.close - direction * stop_distance),
        take_profit=_tick(bar.close + direction * stop_distance * reward),
        strategy=STRATEGY_BY_REGIME[bar.regime], confidence=round(rng.uniform(0.45, 0.9), 2),
        reasoning=f"{bar.regime} setup at {bar.close}", invalidation="close beyond the stop", time_horizon="4-12h",
        model=OPUS, cycle_id=cycle_id,
    )


def _tick(price: Decimal) -> Decimal:
    return (price / TICK).to_integral_value() * TICK


@dataclass
class SimTrade:
    """One round trip; `exit_*` stay None while the position is still open at the end of the seed."""

    cycle_id: str
    cl_ord_id: str
    decision: Decision
    regime: str
    entry_bar: int
    entry_ts: datetime
    entry_px: Decimal
    contracts: Decimal
    exit_ts: datetime | None = None
    exit_px: Decimal | None = None
    close_reason: str | None = None
    funding: Decimal = Decimal(0)
    row: Trade | None = None

    @property
    def direction(self) -> int:
        return 1 if self.decision.action is Action.OPEN_LONG else -1

    @property
    def side(self) -> str:
        return "long" if self.direction == 1 else "short"

    @property
    def notional(self) -> Decimal:
        return money(self.contracts * CT_VAL * self.entry_px)

    @property
    def entry_fee(self) -> Decimal:
        return -money(self.notional * TAKER_FEE)

    @property
    def exit_fee(self) -> Decimal:
        assert self.exit_px is not None
        return -money(self.contracts * CT_VAL * self.exit_px * TAKER_FEE)

    @property
    def price_pnl(self) -> Decimal:
        assert self.exit_px is not None
        return money(self.direction * (self.exit_px - self.entry_px) * self.contracts * CT_VAL)

    @property
    def net_pnl(self) -> Decimal:
        return self.price_pnl + self.entry_fee + self.exit_fee + self.funding

    def unrealised(self, price: Decimal) -> Decimal:
        return money(self.direction * (price - self.entry_px) * self.contracts * CT_VAL)

    def closed(self) -> ClosedTrade:
        assert self.exit_ts is not None and self.exit_px is not None
        return ClosedTrade(
            entry_ts=self.entry_ts, exit_ts=self.exit_ts, pnl=self.price_pnl, fees=self.entry_fee + self.exit_fee,
            funding=self.funding, side=self.side, strategy=self.decision.strategy, regime=self.regime,
            instrument=INSTRUMENT, entry_px=self.entry_px, exit_px=self.exit_px, size=self.contracts,
            notional=self.notional, confidence=self.decision.confidence, r_multiple=self.r_multiple,
            trade_id=self.row.id if self.row is not None else None,
        )

    @property
    def r_multiple(self) -> Decimal | None:
        if self.exit_px is None or self.decision.stop_loss is None:
            return None
        risk = abs(self.entry_px - self.decision.stop_loss) * self.contracts * CT_VAL
        return money(self.net_pnl / risk) if risk else None


def open_trade(decision: Decision, bar: Bar, at: datetime, equity: Decimal, cycle_id: str,
               cl_ord_id: str) -> SimTrade | None:
    notional = equity * decision.size_pct / 100
    contracts = (notional / (CT_VAL * bar.close) / LOT).to_integral_value(rounding=ROUND_DOWN) * LOT
    if contracts <= 0:
        return None
    return SimTrade(cycle_id, cl_ord_id, decision, bar.regime, bar.index, at, bar.close, contracts)


def find_exit(rng: random.Random, trade: SimTrade, path: list[Bar]) -> None:
    """Walk later bars: stop-loss first (the pessimistic reading of a bar), then take-profit, then
    a time exit at the close of the 16th bar (4 hours). No exit inside the path leaves the trade open."""
    sl, tp = trade.decision.stop_loss, trade.decision.take_profit
    assert sl is not None and tp is not None
    for bar in path[trade.entry_bar + 1: trade.entry_bar + 1 + MAX_HOLD_BARS]:
        hit_sl = bar.low <= sl if trade.direction == 1 else bar.high >= sl
        hit_tp = bar.high >= tp if trade.direction == 1 else bar.low <= tp
        if hit_sl or hit_tp:
            _close(trade, bar.ts + timedelta(minutes=rng.randint(1, 14)), sl if hit_sl else tp,
                   "stop_loss" if hit_sl else "take_profit")
            return
        if bar.index == trade.entry_bar + MAX_HOLD_BARS:
            _close(trade, bar.close_ts - timedelta(seconds=1), bar.close, "manual")
            return


def _close(trade: SimTrade, when: datetime, price: Decimal, reason: str) -> None:
    trade.exit_ts, trade.exit_px, trade.close_reason = when, price, reason
    trade.funding = _funding(trade)


def funding_rate(when: datetime) -> Decimal:
    """A deterministic funding rate per settlement (0.002 % … 0.018 %)."""
    return Decimal(20 + (when.toordinal() * 3 + when.hour) % 17 * 10) / 1_000_000


def _funding(trade: SimTrade) -> Decimal:
    """Funding settled at 00/08/16 UTC while the position was open: longs pay a positive rate."""
    assert trade.exit_ts is not None
    total = Decimal(0)
    when = trade.entry_ts.replace(minute=0, second=0, microsecond=0)
    while when <= trade.exit_ts:
        if when > trade.entry_ts and when.hour in FUNDING_HOURS:
            total -= trade.direction * funding_rate(when) * trade.notional
        when += timedelta(hours=1)
    return money(total)


def trade_row(run_id: str, trade: SimTrade) -> Trade:
    d = trade.decision
    closed = trade.exit_ts is not None
    return Trade(
        run_id=run_id, cycle_id=trade.cycle_id, instrument=INSTRUMENT, side=trade.side,
        status="closed" if closed else "open", strategy=d.strategy, regime=trade.regime,
        confidence=Decimal(repr(d.confidence)), leverage=d.leverage, size=trade.contracts, notional=trade.notional,
        entry_ts=trade.entry_ts, entry_px=trade.entry_px, stop_loss=d.stop_loss, take_profit=d.take_profit,
        exit_ts=trade.exit_ts, exit_px=trade.exit_px, close_reason=trade.close_reason,
        realized_pnl=trade.price_pnl if closed else None,
        fees=trade.entry_fee + trade.exit_fee if closed else trade.entry_fee,
        funding=trade.funding if closed else None, net_pnl=trade.net_pnl if closed else None,
        r_multiple=trade.r_multiple, entry_cl_ord_id=trade.cl_ord_id, pos_id=f"pos{trade.cl_ord_id}",
        created_at=trade.entry_ts,
    )


def journal_rows(run_id: str, trade: SimTrade, tag: str) -> list[Any]:
    """Orders, fills and (once closed) the position history of one trade whose row has an id."""
    assert trade.row is not None and trade.row.id is not None
    open_side, close_side = ("buy", "sell") if trade.direction == 1 else ("sell", "buy")
    rows: list[Any] = [
        _order(run_id, trade, f"{tag}e", open_side, "entry", trade.entry_ts, trade.entry_px, trade.entry_fee, Decimal(0)),
        _fill(run_id, trade, f"{tag}e", open_side, trade.entry_ts, trade.entry_px, trade.entry_fee, Decimal(0)),
    ]
    if trade.exit_ts is None or trade.exit_px is None:
        return rows
    purpose = {"stop_loss": "stop_loss", "take_profit": "take_profit"}.get(trade.close_reason or "", "close")
    rows += [
        _order(run_id, trade, f"{tag}x", close_side, purpose, trade.exit_ts, trade.exit_px, trade.exit_fee,
               trade.price_pnl),
        _fill(run_id, trade, f"{tag}x", close_side, trade.exit_ts, trade.exit_px, trade.exit_fee, trade.price_pnl),
        PositionHistory(run_id=run_id, trade_id=trade.row.id, instrument=INSTRUMENT, side=trade.side,
                        pos_id=trade.row.pos_id, size=trade.contracts, entry_px=trade.entry_px,
                        exit_px=trade.exit_px, realized_pnl=trade.price_pnl,
                        fees=trade.entry_fee + trade.exit_fee, funding=trade.funding,
                        close_reason=trade.close_reason, opened_at=trade.entry_ts, closed_at=trade.exit_ts,
                        created_at=trade.exit_ts),
    ]
    return rows


def _order(run_id: str, trade: SimTrade, ord_id: str, side: str, purpose: str, when: datetime, price: Decimal,
           fee: Decimal, pnl: Decimal) -> Order:
    entry = purpose == "entry"
    return Order(
        run_id=run_id, ord_id=ord_id, cl_ord_id=trade.cl_ord_id if entry else None,
        cycle_id=trade.cycle_id if entry else None, trade_id=trade.row.id if trade.row else None,
        instrument=INSTRUMENT, side=side, pos_side=trade.side, ord_type="market", purpose=purpose,
        state="filled", size=trade.contracts, price=None, avg_px=price, filled=trade.contracts, fee=fee, pnl=pnl,
        reduce_only=not entry, sl_trigger_px=trade.decision.stop_loss if entry else None,
        tp_trigger_px=trade.decision.take_profit if entry else None, raw={"ordId": ord_id},
        created_at=when - timedelta(milliseconds=300), updated_at=when,
    )


def _fill(run_id: str, trade: SimTrade, ord_id: str, side: str, when: datetime, price: Decimal, fee: Decimal,
          pnl: Decimal) -> FillRow:
    return FillRow(run_id=run_id, instrument=INSTRUMENT, exchange_trade_id=f"t{ord_id}", ord_id=ord_id,
                   cl_ord_id=trade.cl_ord_id if ord_id.endswith("e") else None,
                   trade_id=trade.row.id if trade.row else None, side=side, pos_side=trade.side, price=price,
                   size=trade.contracts, fee=fee, pnl=pnl, exec_type="T", ts=when, created_at=when)

