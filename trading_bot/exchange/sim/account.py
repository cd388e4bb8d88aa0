"""The account's money: cash (`cashBal`) changes only through booked amounts — realised PnL, fees,
funding and liquidation penalties, each also totalled in `ledger` — and the figures derived from
the cash, the positions and the margin resting orders hold (the arithmetic: `accounting.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from trading_bot.exchange.sim.accounting import AccountFigures, account_figures
from trading_bot.exchange.sim.events import EventLog
from trading_bot.exchange.sim.order_store import OrderStore
from trading_bot.exchange.sim.orders import ZERO, money
from trading_bot.exchange.sim.positions import Positions
from trading_bot.exchange.sim.quotes import Quotes

LEDGER_KINDS = ("pnl", "fee", "funding", "liquidation")


@dataclass(eq=False, repr=False, slots=True)  # a part of the engine: compared by identity, no deep repr
class Account:
    cash: Decimal
    quotes: Quotes
    positions: Positions
    orders: OrderStore
    events: EventLog
    ledger: dict[str, Decimal] = field(init=False, default_factory=lambda: dict.fromkeys(LEDGER_KINDS, ZERO))
    u_time: int = field(init=False)

    def __post_init__(self) -> None:
        self.u_time = self.quotes.now_ms

    def book(self, kind: str, amount: Decimal) -> None:
        if amount:
            self.cash += amount
            self.ledger[kind] += amount
            self.u_time = self.quotes.now_ms
            self.events.account()

    def figures(self) -> AccountFigures:
        quotes = self.quotes
        rows = [(p, quotes.instruments[p.inst_id], quotes.mark(p.inst_id)) for p in self.positions.by_key.values()]
        return account_figures(self.cash, rows, self.orders.frozen())

    def settle_funding(self, inst_id: str, rate: Decimal) -> Decimal:
        """Pay or receive funding on every position of the instrument; returns the net amount."""
        inst = self.quotes.instruments[inst_id]
        mark = self.quotes.mark(inst_id)
        total = ZERO
        for pos in self.positions.of(inst_id):
            pay = money(-rate * pos.qty * inst.ct_val * mark)
            pos.funding_fee += pay
            if pos.mgn_mode == "isolated":
                pos.margin += pay
            pos.u_time = self.quotes.now_ms
            self.book("funding", pay)
            self.events.position(pos)
            total += pay
        return total
