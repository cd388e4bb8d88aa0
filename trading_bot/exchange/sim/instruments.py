"""Contract specifications of the simulated USDT-margined perpetual swaps.

BTC-USDT-SWAP and ETH-USDT-SWAP carry the values of the recorded `/public/instruments` answer
(shared/okx/fixtures/recorded/public_instruments__SWAP_*.json); SOL-USDT-SWAP carries OKX's
published values (ctVal 1 SOL, lot 0.01, tick 0.01, 50x). `mmr_rate` is the tier-1 maintenance
margin rate used for liquidation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from trading_bot.domain.market import Instrument


@dataclass(frozen=True)
class SimInstrument:
    inst_id: str
    ct_val: Decimal
    ct_val_ccy: str
    lot_sz: Decimal
    min_sz: Decimal
    tick_sz: Decimal
    max_lever: int
    max_mkt_sz: Decimal
    max_lmt_sz: Decimal
    mmr_rate: Decimal
    inst_id_code: int
    list_time: str
    start_price: float  # first price of the synthetic market
    depth_scale: float  # book depth relative to BTC (in USDT notional)

    @property
    def uly(self) -> str:
        return self.inst_id.removesuffix("-SWAP")

    @cached_property  # read by every Decimal price the engine makes
    def price_digits(self) -> int:
        exponent = self.tick_sz.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0  # a tick size is finite: always an int

    @property
    def tick(self) -> float:
        return float(self.tick_sz)

    def to_domain(self) -> Instrument:
        return Instrument(
            inst_id=self.inst_id, ct_val=self.ct_val, ct_val_ccy=self.ct_val_ccy, settle_ccy="USDT",
            lot_sz=self.lot_sz, min_sz=self.min_sz, tick_sz=self.tick_sz, max_leverage=self.max_lever,
            max_mkt_sz=self.max_mkt_sz, max_lmt_sz=self.max_lmt_sz, state="live",
        )


def _swap(inst_id: str, ct_val: str, ccy: str, tick: str, lever: int, max_mkt: str, mmr: str, code: int,
          list_time: str, start: float, depth: float) -> SimInstrument:
    return SimInstrument(
        inst_id=inst_id, ct_val=Decimal(ct_val), ct_val_ccy=ccy, lot_sz=Decimal("0.01"),
        min_sz=Decimal("0.01"), tick_sz=Decimal(tick), max_lever=lever, max_mkt_sz=Decimal(max_mkt),
        max_lmt_sz=Decimal("100000000"), mmr_rate=Decimal(mmr), inst_id_code=code, list_time=list_time,
        start_price=start, depth_scale=depth,
    )


INSTRUMENTS: dict[str, SimInstrument] = {
    i.inst_id: i
    for i in (
        _swap("BTC-USDT-SWAP", "0.01", "BTC", "0.1", 100, "12000", "0.004", 10459, "1573557408000", 90000.0, 1.0),
        _swap("ETH-USDT-SWAP", "0.1", "ETH", "0.01", 100, "20000", "0.004", 10461, "1573557408000", 3000.0, 0.6),
        _swap("SOL-USDT-SWAP", "1", "SOL", "0.01", 50, "20000", "0.005", 10503, "1609320458000", 150.0, 0.25),
    )
}


def get_instrument(inst_id: str) -> SimInstrument | None:
    return INSTRUMENTS.get(inst_id)
