"""What the engine changed, in order, for the WebSocket server to push: order, algo order and
position records (copied as emitted, so a push shows the record as it was then), account changes,
and amend acknowledgements. The in-process exchange turns recording off: nothing would read it.
"""

from __future__ import annotations

import copy
from typing import Literal

from trading_bot.exchange.sim.orders import SimAlgo, SimOrder, SimPosition

Event = (tuple[Literal["order"], SimOrder] | tuple[Literal["algo"], SimAlgo]
         | tuple[Literal["position"], SimPosition] | tuple[Literal["account"], None]
         | tuple[Literal["amended"], str])


class EventLog:
    def __init__(self) -> None:
        self.record = True
        self._events: list[Event] = []

    def order(self, order: SimOrder) -> None:
        if self.record:
            self._events.append(("order", copy.copy(order)))

    def algo(self, algo: SimAlgo) -> None:
        if self.record:
            self._events.append(("algo", copy.copy(algo)))

    def position(self, pos: SimPosition) -> None:
        if self.record:
            self._events.append(("position", copy.copy(pos)))

    def account(self) -> None:
        if self.record:
            self._events.append(("account", None))

    def amended(self, ord_id: str) -> None:
        """An amend request succeeded (its order's next pushes carry the amend result)."""
        if self.record:
            self._events.append(("amended", ord_id))

    def drain(self) -> list[Event]:
        events, self._events = self._events, []
        return events
