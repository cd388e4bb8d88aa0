"""Reconciliation: the exchange's positions, working orders and algo orders against the database.

Run at the start of every process that trades and every minute by beat. What is safe is
repaired, everything found is reported on `system:alerts`:

| finding | repair |
|---|---|
| open position without a stop-loss on the exchange | place one (journal level, else OKX_FALLBACK_STOP_PCT); close if crossed |
| working order the database does not know | record it |
| order the database thinks is working but the exchange does not list | record its final state |
| protective (reduce-only) algo order of a flat position | cancel it |
| open trade in the journal without a position on the exchange | report only (the close is ws-private's job) |
| position on the exchange without an open trade in the journal | report only (protected above), unless a running cycle opens it |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import redis

from trading_bot.domain.events import Alert
from trading_bot.domain.orders import AlgoOrder, Order, Position
from trading_bot.domain.snapshot import Severity
from trading_bot.exchange.base import Exchange
from trading_bot.exchange.errors import NotFound
from trading_bot.exchange.protection import Protection, closes, has_stop, has_take_profit, restore_stop
from trading_bot.logs import get_logger
from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN
from trading_bot.storage.repos.orders import open_orders, upsert_order
from trading_bot.storage.repos.protective_levels import Key, Levels, entering, journal_levels
from trading_bot.storage.streams import SYSTEM_ALERTS, Keys, publish

log = get_logger(__name__)


@dataclass(frozen=True)
class Finding:
    kind: str
    inst_id: str
    message: str
    severity: Severity
    repaired: bool
    data: dict[str, Any] = field(default_factory=dict)

    def alert(self, now: datetime) -> Alert:
        return Alert(severity=self.severity, kind=f"reconcile_{self.kind}", message=self.message,
                     inst_id=self.inst_id, data={"repaired": self.repaired, **self.data}, ts=now)


@dataclass(frozen=True)
class ExchangeState:
    positions: list[Position]
    orders: list[Order]
    algos: list[AlgoOrder]

    @classmethod
    def read(cls, exchange: Exchange) -> ExchangeState:
        # Algo orders before positions: an attached TP/SL only exists once its position does, so an
        # algo listed here without a position really is an orphan (not a position opening meanwhile).
        algos = exchange.pending_algo_orders()
        orders = exchange.pending_orders()
        return cls(exchange.positions(), orders, algos)


class Reconciler:
    def __init__(self, exchange: Exchange, db: Database, fallback_stop_pct: Decimal, run_id: str = LIVE_RUN,
                 dry_run: bool = False) -> None:
        self.exchange, self.db, self.fallback_stop_pct, self.run_id = exchange, db, fallback_stop_pct, run_id
        self.dry_run = dry_run  # read and report only

    def run(self) -> list[Finding]:
        state = ExchangeState.read(self.exchange)
        # the cycles still opening positions before the journal: a cycle commits its trade before
        # its end, so a position filled since the exchange was read is in one of the two
        opening = entering(self.db, self.run_id)
        levels = journal_levels(self.db, self.run_id)
        findings = [
            *self._protect(state, levels),
            *self._unknown_orders(state),
            *self._vanished_orders(state),
            *self._orphan_algos(state),
            *self._journal_mismatches(state, levels, opening),
        ]
        log.info("reconciled", positions=len(state.positions), orders=len(state.orders), algos=len(state.algos),
                 findings=len(findings), repaired=sum(f.repaired for f in findings))
        return findings

    def _protect(self, state: ExchangeState, levels: dict[tuple[str, str], Levels]) -> list[Finding]:
        findings = []
        for position in state.positions:
            if has_stop(state.algos, position) or has_stop(self.exchange.pending_algo_orders(position.inst_id), position):
                continue  # (re-read: the position may have opened, with its stop, after the algo list was read)
            if self.dry_run:
                findings.append(Finding("missing_stop", position.inst_id, f"{position.side} {position.size} "
                                        f"{position.inst_id} has no stop-loss on the exchange", "CRITICAL", False))
                continue
            known = levels.get((position.inst_id, position.side))
            protection = Protection(known.stop_loss, known.take_profit) if known else Protection()
            repair = restore_stop(self.exchange, position, self.exchange.instrument(position.inst_id), protection,
                                  self.fallback_stop_pct, has_take_profit(state.algos, position))
            source = "the journal" if repair.from_journal else f"the {self.fallback_stop_pct} % fallback"
            findings.append(Finding(
                "missing_stop", position.inst_id,
                f"{position.side} {position.size} {position.inst_id} had no stop-loss on the exchange: "
                f"{repair.action.replace('_', ' ')} at {repair.stop_px} (from {source}); {repair.detail}",
                "CRITICAL", True,
                {"action": repair.action, "stop_px": str(repair.stop_px), "from_journal": repair.from_journal},
            ))
        return findings

    def _unknown_orders(self, state: ExchangeState) -> list[Finding]:
        known = {(o.inst_id, o.ord_id) for o in open_orders(self.db, run_id=self.run_id)}
        findings = []
        for order in state.orders:
            if (order.inst_id, order.ord_id) in known:
                continue
            if not self.dry_run:
                upsert_order(self.db, order, run_id=self.run_id)
            findings.append(Finding("unknown_order", order.inst_id,
                                    f"working order {order.ord_id} ({order.side} {order.size}) was not in the "
                                    "database", "WARN", not self.dry_run, {"ord_id": order.ord_id}))
        return findings

    def _vanished_orders(self, state: ExchangeState) -> list[Finding]:
        working = {(o.inst_id, o.ord_id) for o in state.orders}
        findings = []
        for stored in open_orders(self.db, run_id=self.run_id):
            if (stored.inst_id, stored.ord_id) in working:
                continue
            final = self.exchange.get_order(stored.inst_id, ord_id=stored.ord_id)
            if final is None:
                findings.append(Finding("order_unknown_to_exchange", stored.inst_id,
                                        f"order {stored.ord_id} is working in the database but unknown to the "
                                        "exchange", "WARN", False, {"ord_id": stored.ord_id}))
                continue
            if not self.dry_run:
                upsert_order(self.db, final, run_id=self.run_id)
            findings.append(Finding("order_state", stored.inst_id,
                                    f"order {stored.ord_id} was {stored.state} in the database, the exchange "
                                    f"says {final.state}", "INFO", not self.dry_run, {"ord_id": stored.ord_id}))
        return findings

    def _orphan_algos(self, state: ExchangeState) -> list[Finding]:
        orphans = [a for a in state.algos if not any(closes(a, p) for p in state.positions)]
        for algo in orphans if not self.dry_run else []:
            try:
                self.exchange.cancel_algo_orders(algo.inst_id, [algo.algo_id])
            except NotFound:  # it went with its position after the algos were read: gone, as wanted
                log.info("orphan algo already gone", instrument=algo.inst_id, algo_id=algo.algo_id)
        return [Finding("orphan_algo", a.inst_id, f"TP/SL order {a.algo_id} ({a.side}) belongs to no position",
                        "WARN", not self.dry_run, {"algo_id": a.algo_id}) for a in orphans]

    def _journal_mismatches(self, state: ExchangeState, levels: dict[Key, Levels], opening: set[Key]) -> list[Finding]:
        on_exchange = {(p.inst_id, p.side) for p in state.positions}
        journal = {key for key, level in levels.items() if level.open_trade}
        missing = [Finding("position_missing", inst, f"the journal has an open {side} trade in {inst} but the "
                           "exchange has no such position", "WARN", False, {"side": side})
                   for inst, side in sorted(journal - on_exchange)]
        untracked = [Finding("untracked_position", inst, f"the exchange has a {side} position in {inst} that no "
                             "open trade in the journal explains", "WARN", False, {"side": side})
                     for inst, side in sorted(on_exchange - journal - opening)]
        return missing + untracked


def report(client: redis.Redis, keys: Keys, findings: list[Finding], now: datetime) -> None:
    for finding in findings:
        publish(client, keys, SYSTEM_ALERTS, finding.alert(now))
