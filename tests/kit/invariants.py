"""The invariants a fault scenario (tests/faults/) and the soak benchmark check after the dust
settles. The venue is read through the real python-okx client (not our adapter), the journal with
plain SQL, the streams with XRANGE; each check returns what breaks it, as readable lines.

1. no cycle placed two entries (database and venue);
2. every open position has a stop-loss on the venue;
3. the database equals the venue after a reconciliation (positions vs open trades, working orders);
4. every venue fill is in `fills` and on `trade:fills` exactly once;
5. every cycle row has an outcome, and every beat slot between the first and the last has a row
   (except the slots a clock jump skipped: tests/kit/clock_jump.py);
6. no secret in any log line.
(That the bot recovers without a person is each scenario's own check: a normal cycle after the fault.)
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import redis
from okx.Account import AccountAPI
from okx.Trade import TradeAPI
from sqlalchemy import text

from tests.kit.clock_jump import ClockJump
from tests.kit.stack import Stack
from trading_bot.exchange.tasks import reconcile_once
from trading_bot.pipeline.schedule import slot_for
from trading_bot.storage.db import Database
from trading_bot.storage.streams import TRADE_FILLS, Keys

Check = Callable[[], list[str]]


def okx_data(call: Callable[..., dict[str, Any]], **params: str) -> list[dict[str, Any]]:
    """One python-okx call, waiting out a 50011 (the roles share the simulator's limits with us)."""
    for _ in range(20):
        reply = call(**params)
        if reply.get("code") != "50011":
            break
        time.sleep(0.5)
    if reply.get("code") != "0":
        raise AssertionError(f"the venue refused {getattr(call, '__name__', call)}: {reply}")
    return list(reply["data"])


class Invariants:
    def __init__(self, stack: Stack, db: Database, client: redis.Redis) -> None:
        self.stack, self.db, self.client = stack, db, client
        self.keys = Keys(stack.settings.redis_namespace)
        self.trade, self.account = stack.okx(TradeAPI), stack.okx(AccountAPI)

    # --- the venue, through python-okx ------------------------------------------------------
    def venue_positions(self) -> dict[tuple[str, str], Decimal]:
        rows = okx_data(self.account.get_positions, instType="SWAP")
        return {(p["instId"], _side(p)): abs(Decimal(p["pos"])) for p in rows if Decimal(p["pos"] or 0) != 0}

    def venue_fills(self) -> list[dict[str, Any]]:
        fills, after = [], ""
        while True:
            page = okx_data(self.trade.get_fills, instType="SWAP", after=after, limit="100")
            fills += page
            if len(page) < 100:
                return fills
            after = page[-1]["billId"]

    def venue_orders(self) -> list[dict[str, Any]]:
        return (okx_data(self.trade.get_orders_history, instType="SWAP", limit="100")
                + okx_data(self.trade.get_order_list, instType="SWAP"))

    # --- the checks ---------------------------------------------------------------------------
    def one_entry_per_cycle(self) -> list[str]:
        breaks = [f"cycle {cycle} has {n} entry orders in the database" for cycle, n in self._rows(
            "SELECT cycle_id, count(*) FROM orders WHERE purpose = 'entry' AND cycle_id IS NOT NULL "
            "GROUP BY cycle_id HAVING count(*) > 1")]
        per_cl = Counter(o["clOrdId"] for o in self.venue_orders() if o["clOrdId"].startswith("e"))
        breaks += [f"the venue holds {n} orders under clOrdId {cl}" for cl, n in per_cl.items() if n > 1]
        return breaks

    def stops_on_venue(self) -> list[str]:
        algos = [a for kind in ("conditional", "oco")
                 for a in okx_data(self.trade.order_algos_list, ordType=kind, instType="SWAP")]
        breaks = []
        for (inst_id, side), size in self.venue_positions().items():
            closing = "sell" if side == "long" else "buy"
            if not any(a["instId"] == inst_id and a["side"] == closing and a.get("slTriggerPx") for a in algos):
                breaks.append(f"the {side} {size} {inst_id} position has no stop-loss on the venue")
        return breaks

    def database_equals_venue(self) -> list[str]:
        reconcile_once(self.stack.settings)
        journal: dict[tuple[str, str], Decimal] = {}
        for inst_id, side, size in self._rows("SELECT instrument, side, size FROM trades WHERE status = 'open' "
                                              "AND run_id = 'live'"):
            journal[(inst_id, side)] = journal.get((inst_id, side), Decimal(0)) + Decimal(size)
        venue = self.venue_positions()
        breaks = [f"venue {key} = {venue.get(key)}, journal = {journal.get(key)}"
                  for key in sorted(set(venue) | set(journal)) if venue.get(key) != journal.get(key)]
        working = {o["ordId"] for o in okx_data(self.trade.get_order_list, instType="SWAP")}
        stored = {row[0] for row in self._rows("SELECT ord_id FROM orders WHERE state IN ('live', 'partially_filled')")}
        breaks += [f"order {o} works on the venue but not in the database" for o in sorted(working - stored)]
        breaks += [f"order {o} works in the database but not on the venue" for o in sorted(stored - working)]
        return breaks

    def fills_once(self, stream_since: datetime | None = None) -> list[str]:
        """Every venue fill once in `fills` and once on `trade:fills` (on the stream only those from
        `stream_since` on: a Redis that lost its data lost the stream's earlier entries)."""
        stored = Counter((inst, trade) for inst, trade in self._rows("SELECT instrument, exchange_trade_id FROM fills"))
        published: Counter[tuple[str, str]] = Counter()
        for _, fields in self.client.xrange(self.keys.stream(TRADE_FILLS)):
            fill = json.loads(fields["data"])["fill"]
            published[(fill["inst_id"], fill["trade_id"])] += 1
        breaks = []
        venue = self.venue_fills()
        for f in venue:
            key = (f["instId"], f["tradeId"])
            if stored[key] != 1:
                breaks.append(f"fill {key} is {stored[key]} times in the fills table")
            on_stream = stream_since is None or int(f["ts"]) >= stream_since.timestamp() * 1000
            if published[key] > 1 or (on_stream and published[key] != 1):
                breaks.append(f"fill {key} is {published[key]} times on trade:fills")
        extra = set(stored) - {(f["instId"], f["tradeId"]) for f in venue}
        breaks += [f"fill {key} is in the fills table but not on the venue" for key in sorted(extra)]
        return breaks

    def cycles_ended(self, clock_jumps: Sequence[ClockJump] = ()) -> list[str]:
        breaks = [f"cycle {cycle_id} has no outcome (stage {stage})" for cycle_id, stage in self._rows(
            "SELECT id, stage FROM decision_cycles WHERE finished_at IS NULL OR outcome IS NULL")]
        settings = self.stack.settings
        interval = timedelta(seconds=settings.cycle_seconds)
        for inst_id in settings.instruments:
            slots = [row[0] for row in self._rows(
                "SELECT scheduled_for FROM decision_cycles WHERE trigger = 'beat' AND instrument = :inst "
                "ORDER BY scheduled_for", inst=inst_id)]
            grid = {slot_for(s, settings.cycle_seconds, settings.cycle_offset_seconds) for s in slots}
            if not slots:
                continue
            slot = min(grid)
            while slot < max(grid):
                if slot not in grid and not any(jump.skipped(slot) for jump in clock_jumps):
                    breaks.append(f"slot {slot:%Y-%m-%d %H:%M:%S} of {inst_id} has no cycle row")
                slot += interval
        return breaks

    def no_secrets(self, lines: Iterable[str]) -> list[str]:
        creds = self.stack.credentials()
        secrets = [creds["secret_key"], creds["passphrase"], creds["api_key"],
                   *(self.stack.env[name] for name in ("ANTHROPIC_API_KEY", "PERPLEXITY_API_KEY",
                                                       "TELEGRAM_BOT_TOKEN", "FLOWER_BASIC_AUTH")
                     if self.stack.env.get(name))]
        return [f"a secret ({secret[:3]}…) in: {line[:200]}" for line in lines for secret in secrets
                if len(secret) >= 6 and secret in line]

    def all(self, lines: Iterable[str], stream_since: datetime | None = None,
            clock_jumps: Sequence[ClockJump] = ()) -> list[str]:
        """Every invariant; the ones that follow the venue are retried for up to a minute (a close
        is journaled within a market minute, a fill published within seconds)."""
        return [
            *self.one_entry_per_cycle(),
            *settled(self.stops_on_venue),
            *settled(self.database_equals_venue),
            *settled(lambda: self.fills_once(stream_since)),
            *settled(lambda: self.cycles_ended(clock_jumps)),
            *self.no_secrets(lines),
        ]

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        with self.db.session() as session:
            return list(session.execute(text(sql), params).all())


def settled(check: Check, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        breaks = check()
        if not breaks or time.monotonic() > deadline:
            return breaks
        time.sleep(2)


def _side(position: dict[str, Any]) -> str:
    if position["posSide"] in ("long", "short"):
        return str(position["posSide"])
    return "long" if Decimal(position["pos"]) > 0 else "short"
