"""Open positions as the exchange last reported them, and the `position_closed` event when one
goes to zero: realised price PnL, fees and funding as OKX accumulated them for the position.

OKX pushes a closed position once with `pos` "0" and its final totals; when that push is missed
(ws-private down, reconnect) the position merely vanishes from the REST snapshot, and the totals
are rebuilt from the stored fills. The set of open positions is kept in Redis so a restarted
consumer still knows what was open before; a position it never saw (opened and closed while it was
down, or Redis lost the set) is found through the journal: an open trade with no position on the
venue whose closing fills are stored closed unobserved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import redis
from pydantic import TypeAdapter

from trading_bot.domain.events import PositionClosed, PositionEvent
from trading_bot.domain.market import Instrument
from trading_bot.domain.orders import Fill, Position, closing_side
from trading_bot.exchange.okx.parse import PositionState
from trading_bot.ingest.close_reason import close_reason
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.dedup import publish_once
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.fills import fills_since
from trading_bot.storage.repos.positions import record_closed_position
from trading_bot.storage.repos.trades import open_trades
from trading_bot.storage.streams import TRADE_POSITIONS, Keys

log = get_logger(__name__)
ZERO = Decimal(0)
Key = tuple[str, str]  # (instrument, posSide)
OPEN_POSITIONS = TypeAdapter(list[Position])  # the JSON list at Keys.positions(): every open position
ENTRY_FILL_SLACK = timedelta(minutes=1)  # a trade's entry time is its order's update, the fill may precede it


@dataclass(frozen=True)
class Totals:
    pnl: Decimal
    fees: Decimal
    funding: Decimal
    exit_px: Decimal | None
    closed_at: datetime


class PositionBook:
    def __init__(self, db: Database, client: redis.Redis, keys: Keys, instrument: Callable[[str], Instrument],
                 run_id: str = LIVE_RUN) -> None:
        self.db, self.client, self.keys, self.instrument, self.run_id = db, client, keys, instrument, run_id
        self.held: dict[Key, Position] = self._load()
        self.closes: list[PositionClosed] = []

    # --- inputs ---------------------------------------------------------------------------
    def on_push(self, state: PositionState, position: Position | None) -> None:
        """One `positions` channel item (`position` is None when its size is zero)."""
        key = (state.inst_id, state.pos_side)
        previous = self.held.get(key)
        if position is None:
            if previous is not None:
                self._close(key, previous, self._totals_from_push(previous, state))
            return
        if previous is not None and previous.side != position.side:  # a net position flipped sides
            self._close(key, previous, self._totals_from_fills(previous, position.updated_at))
        self._open(key, position)

    def on_snapshot(self, positions: list[Position], now: datetime) -> None:
        """The full list of open positions (REST, after a (re)connect, asked for at `now`): anything
        we held, or the journal holds, that is not in it closed while we were not listening."""
        current: dict[Key, Position] = {(p.inst_id, p.pos_side): p for p in positions}
        for key, previous in [*self.held.items(), *self._journaled_unseen(current, now)]:
            live = current.get(key)
            if live is None or live.side != previous.side:
                self._close(key, previous, self._totals_from_fills(previous, now))
        for key, position in current.items():
            self._open(key, position)

    def _journaled_unseen(self, current: dict[Key, Position], now: datetime) -> list[tuple[Key, Position]]:
        """Open trades of the journal entered before `now` that this book never held and the venue
        does not list, as positions, when their stored fills show them closed."""
        live = {(p.inst_id, p.side) for p in current.values()} | {(p.inst_id, p.side) for p in self.held.values()}
        found: list[tuple[Key, Position]] = []
        for trade in open_trades(self.db, self.run_id):
            if (trade.instrument, trade.side) in live or trade.entry_ts >= now:
                continue
            position = self._from_fills(trade.instrument, trade.side, trade.size, trade.entry_ts)
            if position is not None:
                found.append(((position.inst_id, position.pos_side), position))
        return found

    def _from_fills(self, inst_id: str, side: str, size: Decimal, entry_ts: datetime) -> Position | None:
        opening = "buy" if side == "long" else "sell"
        fills = fills_since(self.db, inst_id, entry_ts - ENTRY_FILL_SLACK, self.run_id)
        entry = next((f for f in fills if f.side == opening), None)
        if entry is None:
            return None
        closed = sum((f.size for f in fills if f.side != opening and f.pos_side == entry.pos_side
                      and f.ts >= entry.ts), ZERO)
        if closed < size:
            return None  # not (yet) closed as far as the stored fills tell
        return Position(inst_id=inst_id, side=side, pos_side=entry.pos_side, mgn_mode="isolated", size=size,  # type: ignore[arg-type]
                        avg_px=entry.price, mark_px=None, upl=ZERO, realized_pnl=ZERO, fee=ZERO, funding_fee=ZERO,
                        margin=None, imr=None, liq_px=None, leverage=Decimal(1), created_at=entry.ts,
                        updated_at=entry.ts)

    # --- transitions ----------------------------------------------------------------------
    def _open(self, key: Key, position: Position) -> None:
        previous = self.held.get(key)
        self.held[key] = position
        self._save()
        if previous is not None and (previous.size, previous.avg_px, previous.side) == (
                position.size, position.avg_px, position.side):
            return  # only mark price / upl moved: Redis has it, no event
        event = PositionEvent(inst_id=position.inst_id, side=position.side, position=position, ts=position.updated_at)
        identity = f"{position.inst_id}:{position.pos_side}:{position.size}:{position.avg_px}:{position.created_at.timestamp()}"
        publish_once(self.client, self.keys, TRADE_POSITIONS, event, identity)

    def _close(self, key: Key, held: Position, totals: Totals) -> None:
        self.held.pop(key, None)
        self._save()
        event = PositionClosed(
            inst_id=held.inst_id, side=held.side, size=held.size, entry_px=held.avg_px,
            exit_px=totals.exit_px, realized_pnl=totals.pnl, fees=totals.fees, funding=totals.funding,
            opened_at=held.created_at, closed_at=totals.closed_at, pos_id=held.pos_id,
            close_reason=close_reason(self.db, held, totals.exit_px, self.run_id),
        )
        record_closed_position(self.db, event, self.run_id)
        identity = f"{held.inst_id}:{held.side}:{held.pos_id}:{held.created_at.timestamp()}"
        if publish_once(self.client, self.keys, TRADE_POSITIONS, event, f"closed:{identity}"):
            self.closes.append(event)
            log.info("position_closed", instrument=held.inst_id, side=held.side, size=str(held.size),
                     pnl=str(event.realized_pnl), fees=str(event.fees), funding=str(event.funding),
                     reason=event.close_reason)
        flat = PositionEvent(inst_id=held.inst_id, side=None, position=None, ts=totals.closed_at)
        publish_once(self.client, self.keys, TRADE_POSITIONS, flat, f"flat:{identity}")

    # --- totals ---------------------------------------------------------------------------
    def _totals_from_push(self, held: Position, final: PositionState) -> Totals:
        exit_px = self._exit_from_fills(held) or self._exit_from_pnl(held, final.pnl)
        return Totals(final.pnl, final.fee, final.funding_fee, exit_px, final.updated_at)

    def _totals_from_fills(self, held: Position, now: datetime) -> Totals:
        fills = self._fills(held)
        closing = [f for f in fills if f.side == closing_side(held.side)]
        pnl = sum((f.pnl for f in closing), ZERO)
        fees = sum((f.fee for f in fills), ZERO)
        closed_at = max((f.ts for f in closing), default=now)
        return Totals(pnl, fees, held.funding_fee, _vwap(closing), closed_at)

    def _exit_from_fills(self, held: Position) -> Decimal | None:
        return _vwap([f for f in self._fills(held) if f.side == closing_side(held.side)])

    def _fills(self, held: Position) -> list[Fill]:
        """Fills of this position: same instrument and position side, since it opened."""
        fills = fills_since(self.db, held.inst_id, held.created_at, self.run_id)
        return [f for f in fills if f.pos_side == held.pos_side]

    def _exit_from_pnl(self, held: Position, pnl: Decimal) -> Decimal | None:
        per_price = held.size * self.instrument(held.inst_id).ct_val
        if per_price == 0:
            return None
        move = pnl / per_price
        return held.avg_px + move if held.side == "long" else held.avg_px - move

    # --- persistence ----------------------------------------------------------------------
    def _load(self) -> dict[Key, Position]:
        raw = self.client.get(self.keys.positions())
        items = OPEN_POSITIONS.validate_json(raw) if raw else []
        return {(p.inst_id, p.pos_side): p for p in items}

    def _save(self) -> None:
        self.client.set(self.keys.positions(), OPEN_POSITIONS.dump_json(list(self.held.values())))


def _vwap(fills: list[Fill]) -> Decimal | None:
    size = sum((f.size for f in fills), ZERO)
    if size == 0:
        return None
    return sum((f.price * f.size for f in fills), ZERO) / size
