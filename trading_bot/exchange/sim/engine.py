"""The matching engine: one USDT futures-mode account trading perpetual swaps. Pure: no I/O, no clock
of its own (the venue sets `quotes.now_ms`), Decimal money.

The engine owns its parts, each with its own records, and is the one way in for commands:
  quotes      instruments, last prices, market time          settings  position mode, leverage
  orders      order and fill records                          algos     algo order records, attached TP/SL
  positions   positions and what fills do to them             account   cash, ledger, margin figures, funding
  matching    placing, amending, cancelling, filling orders   triggers  placing and firing algo orders
  liquidator  liquidation                                     events    what changed, for WebSocket pushes
Parts read their collaborators and never call back into the engine: firing what a price reaches
(`check`) and keeping the trigger bounds is the engine's, done at the end of every command.

Prices arrive through `on_price`. To stay fast during replays the engine keeps, per instrument, the
nearest price below (`lo`) and above (`hi`) at which anything can happen (a resting limit order
fills, a TP/SL or trigger fires, a position is liquidated); a price strictly between them changes
nothing but the last price, so callers may skip the call or scan tick arrays against the bounds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from trading_bot.exchange.sim import book
from trading_bot.exchange.sim.account import Account
from trading_bot.exchange.sim.accounting import INF
from trading_bot.exchange.sim.algos import Algos
from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.matching import Matching
from trading_bot.exchange.sim.order_store import OrderStore
from trading_bot.exchange.sim.orders import AlgoParams, Ids, OrderParams, SimAlgo, SimOrder
from trading_bot.exchange.sim.positions import Positions
from trading_bot.exchange.sim.quotes import Quotes
from trading_bot.exchange.sim.risk import Liquidator
from trading_bot.exchange.sim.settings import AccountSettings
from trading_bot.exchange.sim.triggers import Triggers

MAX_ROUNDS = 50  # a price that keeps firing (fills moving margin, triggers placing orders) settles by then


@dataclass(frozen=True)
class EngineConfig:
    maker_fee: Decimal = Decimal("0.0002")
    taker_fee: Decimal = Decimal("0.0005")
    default_lever: Decimal = Decimal(3)
    book: book.BookConfig = field(default_factory=book.BookConfig)


class Engine:
    # fixed attributes: a caller still setting a name from before the parts (say `closed_log`) fails loudly
    __slots__ = ("config", "quotes", "events", "ids", "settings", "orders", "algos", "positions", "account",
                 "matching", "triggers", "liquidator", "lo", "hi")

    def __init__(self, instruments: dict[str, SimInstrument], cash: Decimal,
                 config: EngineConfig | None = None, now_ms: int = 0) -> None:
        self.config = config or EngineConfig()
        self.quotes = Quotes(instruments, now_ms)
        self.events = EventLog()
        self.ids = Ids()
        self.settings = AccountSettings(self.config.default_lever)
        self.orders = OrderStore()
        self.algos = Algos(self.quotes, self.events)
        self.positions = Positions(self.quotes, self.settings, self.ids, self.events, self.algos)
        self.account = Account(cash, self.quotes, self.positions, self.orders, self.events)
        self.matching = Matching(self.config, self.quotes, self.settings, self.ids, self.events, self.orders,
                                 self.positions, self.account, self.algos)
        self.triggers = Triggers(self.quotes, self.settings, self.ids, self.algos, self.positions, self.matching)
        self.liquidator = Liquidator(self.quotes, self.ids, self.events, self.orders, self.positions, self.account,
                                     self.matching)
        self.lo: dict[str, float] = dict.fromkeys(instruments, -INF)
        self.hi: dict[str, float] = dict.fromkeys(instruments, INF)

    # --- orders and algo orders ------------------------------------------------------------------
    def place_order(self, p: OrderParams) -> SimOrder:
        order = self.matching.place_order(p)
        self.check(p.inst_id)
        return order

    def amend_order(self, inst_id: str, ord_id: str, cl_ord_id: str, new_sz: Decimal | None,
                    new_px: Decimal | None) -> SimOrder:
        order = self.matching.amend_order(inst_id, ord_id, cl_ord_id, new_sz, new_px)
        self.check(inst_id)
        return order

    def cancel_order(self, inst_id: str, ord_id: str = "", cl_ord_id: str = "") -> SimOrder:
        order = self.matching.cancel_order(inst_id, ord_id, cl_ord_id)
        self.recompute(inst_id)
        return order

    def close_position(self, inst_id: str, mgn_mode: str, pos_side: str, auto_cxl: bool, cl_ord_id: str = "",
                       tag: str = "") -> str:
        """Close the whole position at market (OKX close-position); returns its posSide."""
        closed_side = self.matching.close_position(inst_id, mgn_mode, pos_side, auto_cxl, cl_ord_id, tag)
        self.check(inst_id)
        return closed_side

    def place_algo(self, p: AlgoParams) -> SimAlgo:
        algo = self.triggers.place(p)
        self.check(p.inst_id)
        return algo

    def cancel_algo(self, inst_id: str, algo_id: str = "", algo_cl_ord_id: str = "") -> SimAlgo:
        algo = self.algos.cancel(inst_id, algo_id, algo_cl_ord_id)
        self.recompute(inst_id)
        return algo

    # --- settings and funding --------------------------------------------------------------------
    def set_position_mode(self, mode: str) -> None:
        self.settings.set_position_mode(mode, busy=bool(self.positions.by_key or self.orders.live or self.algos.live()))

    def set_leverage(self, inst_id: str, lever: Decimal, mgn_mode: str, pos_side: str = "") -> list[dict[str, str]]:
        inst = self.quotes.instrument(inst_id)
        isolated_orders = any(o.inst_id == inst_id and o.td_mode == "isolated" for o in self.orders.live.values())
        self.settings.check_leverage(inst, lever, mgn_mode, pos_side, isolated_orders)
        self.positions.relever(inst, mgn_mode, pos_side, lever, lambda: self.account.figures().avail_eq)
        self.settings.levers[(inst_id, mgn_mode, pos_side)] = lever
        self.recompute(inst_id)
        return [{"instId": inst_id, "lever": format(lever.normalize(), "f"), "mgnMode": mgn_mode, "posSide": pos_side}]

    def settle_funding(self, inst_id: str, rate: Decimal) -> Decimal:
        """Pay or receive funding on every position of the instrument; returns the net amount."""
        total = self.account.settle_funding(inst_id, rate)
        self.check(inst_id)
        return total

    # --- market ----------------------------------------------------------------------------------
    def set_last(self, inst_id: str, price: float, ts_ms: int) -> None:
        """A new price without checks (callers know it lies strictly inside lo..hi)."""
        self.quotes.last[inst_id] = price
        self.quotes.now_ms = ts_ms

    def on_price(self, inst_id: str, price: float, ts_ms: int) -> None:
        self.quotes.last[inst_id] = price
        self.quotes.now_ms = ts_ms
        if price <= self.lo[inst_id] or price >= self.hi[inst_id]:
            self.check(inst_id)

    def check(self, inst_id: str) -> None:
        """Fire everything the current price reaches, repeatedly, until nothing more happens."""
        for _ in range(MAX_ROUNDS):
            price = self.quotes.last[inst_id]
            fired = self.matching.fire_limits(inst_id, price) or self.triggers.fire(inst_id, price)
            fired = self.liquidator.liquidate_if_needed(inst_id, price) or fired
            self.recompute(inst_id)
            if not fired:
                break

    def recompute(self, inst_id: str) -> None:
        lo, hi = self.orders.bounds(inst_id)
        for level, up in self.triggers.levels(inst_id):
            if up:
                hi = min(hi, level)
            else:
                lo = max(lo, level)
        down, up_level = self.liquidator.levels(inst_id)
        self.lo[inst_id], self.hi[inst_id] = max(lo, down), min(hi, up_level)

    def recompute_all(self) -> None:
        for inst_id in self.quotes.last:
            self.recompute(inst_id)
