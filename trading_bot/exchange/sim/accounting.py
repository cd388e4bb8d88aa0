"""Margin arithmetic of a USDT futures-mode account (all Decimal, no state of its own).

Cash (`cashBal`) changes only through the ledger: realised PnL, fees, funding and liquidation
penalties. Isolated margin is cash set aside for one position; cross positions are backed by the
rest of the account. Liquidation happens when equity backing a position falls to its maintenance
margin; the thresholds are linear in the price, so the engine can precompute them as floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.orders import ZERO, SimPosition

INF = float("inf")


def upl(pos: SimPosition, inst: SimInstrument, mark: Decimal) -> Decimal:
    return (mark - pos.avg_px) * pos.qty * inst.ct_val


def notional(pos: SimPosition, inst: SimInstrument, mark: Decimal) -> Decimal:
    return abs(pos.qty) * inst.ct_val * mark


def imr(pos: SimPosition, inst: SimInstrument, mark: Decimal) -> Decimal:
    return notional(pos, inst, mark) / pos.lever


def mmr(pos: SimPosition, inst: SimInstrument, mark: Decimal) -> Decimal:
    return notional(pos, inst, mark) * inst.mmr_rate


@dataclass(frozen=True)
class Linear:
    """f(p) = a + b·p: the equity left above maintenance margin as a function of one price."""

    a: Decimal
    b: Decimal

    def threshold(self) -> tuple[float, float]:
        """(down, up): liquidation fires when the price falls to `down` or rises to `up`."""
        if self.b == 0:
            return (INF, -INF) if self.a <= 0 else (-INF, INF)
        root = float(-self.a / self.b)
        return (root, INF) if self.b > 0 else (-INF, root)


def isolated_line(pos: SimPosition, inst: SimInstrument) -> Linear:
    ct = inst.ct_val
    return Linear(pos.margin - pos.avg_px * pos.qty * ct, ct * (pos.qty - inst.mmr_rate * abs(pos.qty)))


def isolated_liq_px(pos: SimPosition, inst: SimInstrument) -> Decimal | None:
    line = isolated_line(pos, inst)
    if line.b == 0:
        return None
    px = -line.a / line.b
    return px if px > 0 else None


@dataclass(frozen=True)
class AccountFigures:
    cash: Decimal
    upl: Decimal
    cross_upl: Decimal
    iso_upl: Decimal
    iso_margin: Decimal
    cross_imr: Decimal
    mmr: Decimal
    cross_mmr: Decimal
    ord_frozen: Decimal
    notional: Decimal

    @property
    def equity(self) -> Decimal:
        return self.cash + self.upl

    @property
    def frozen(self) -> Decimal:
        return self.iso_margin + self.cross_imr + self.ord_frozen

    @property
    def avail_eq(self) -> Decimal:
        """What a new order may use: cash and cross PnL less everything already committed."""
        return self.cash + self.cross_upl - self.frozen

    @property
    def avail_bal(self) -> Decimal:
        return self.cash - self.frozen

    @property
    def cross_equity(self) -> Decimal:
        """Equity backing the cross positions (isolated margin and its PnL excluded)."""
        return self.cash - self.iso_margin + self.cross_upl


def account_figures(cash: Decimal, positions: list[tuple[SimPosition, SimInstrument, Decimal]],
                    ord_frozen: Decimal) -> AccountFigures:
    totals = dict(upl=ZERO, cross_upl=ZERO, iso_upl=ZERO, iso_margin=ZERO, cross_imr=ZERO, mmr=ZERO,
                  cross_mmr=ZERO, notional=ZERO)
    for pos, inst, mark in positions:
        u, m = upl(pos, inst, mark), mmr(pos, inst, mark)
        totals["upl"] += u
        totals["mmr"] += m
        totals["notional"] += notional(pos, inst, mark)
        if pos.mgn_mode == "cross":
            totals["cross_upl"] += u
            totals["cross_imr"] += imr(pos, inst, mark)
            totals["cross_mmr"] += m
        else:
            totals["iso_upl"] += u
            totals["iso_margin"] += pos.margin
    return AccountFigures(cash=cash, ord_frozen=ord_frozen, **totals)


def cross_line(figures: AccountFigures, inst_positions: list[tuple[SimPosition, SimInstrument, Decimal]]) -> Linear:
    """Cross equity minus cross maintenance margin as a function of this instrument's price."""
    a = figures.cross_equity - figures.cross_mmr
    b = ZERO
    for pos, inst, mark in inst_positions:
        if pos.mgn_mode != "cross":
            continue
        ct = inst.ct_val
        a -= upl(pos, inst, mark) - mmr(pos, inst, mark)  # remove this instrument's terms at `mark` …
        a += -pos.avg_px * pos.qty * ct  # … and put them back as a line in p
        b += ct * (pos.qty - inst.mmr_rate * abs(pos.qty))
    return Linear(a, b)
