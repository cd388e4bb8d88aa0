"""Fault switches for tests of the bot's resilience, flipped at run time (Python handle or the
`/sim/control/faults` endpoint):

- `delay_ms`: every REST answer waits this long first;
- `delay_orders_ms`: order placements (POST trade/order) ARE executed at once but answered this
  much later, so a client whose timeout is shorter gives up on an order that exists (the state's
  `heldOrders` counts the answers held back);
- `fail_next`: the next N REST requests answer HTTP 503 / code 50001 without doing anything;
- `timeout_next_orders`: the next N order placements ARE executed but answered 50004 (HTTP 400),
  like OKX's "timeout; does not mean the request failed";
- `pause_pushes`: WebSocket pushes are held back (market data dropped, private events queued);
- `bad_candles`: the next N candle rows served (REST candles/history-candles, WebSocket candle pushes)
  have a high below their low, as a broken feed would send;
- `pause_market_data`: only the market-data pushes stop (every /public channel and the candles on
  /business), as when the exchange's market-data service stalls: private pushes (orders, algos,
  positions, account), REST, pongs and subscription acks go on; on resume the channels push as
  usual (what changed meanwhile, and every candle that closed meanwhile);
- dropping every WebSocket connection is an action, not a switch (`SimServer.drop_websockets`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any


@dataclass
class Faults:
    delay_ms: int = 0
    delay_orders_ms: int = 0
    fail_next: int = 0
    timeout_next_orders: int = 0
    pause_pushes: bool = False
    bad_candles: int = 0
    pause_market_data: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        for name, value in changes.items():
            if name not in self.__dataclass_fields__:
                raise ValueError(f"unknown fault switch {name!r}; known: {', '.join(self.__dataclass_fields__)}")
            setattr(self, name, type(getattr(self, name))(value))

    def take_failure(self) -> bool:
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    def take_order_timeout(self) -> bool:
        if self.timeout_next_orders > 0:
            self.timeout_next_orders -= 1
            return True
        return False

    def spoil_candles(self, rows: list[list[str]]) -> list[list[str]]:
        """OKX candle rows as served, the first `bad_candles` of them with high = low / 2."""
        spoiled = []
        for row in rows:
            if self.bad_candles > 0:
                self.bad_candles -= 1
                row = [row[0], row[1], str(Decimal(row[3]) / 2), *row[3:]]
            spoiled.append(row)
        return spoiled

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
