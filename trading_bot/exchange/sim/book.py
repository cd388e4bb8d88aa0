"""The synthetic order book around the last price, and the walk a taker order makes through it.

Best bid = last price, best ask = bid + `spread_ticks`; further levels step by `level_step_bps` of
the price (at least one tick). Level i holds `level_notional × depth_scale × (1 + depth_growth·i)`
USDT, varied ±25 % by a deterministic hash of (level, second) so books look alive yet a walk at a
given moment consumes exactly the sizes a client would have seen then.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from trading_bot.exchange.sim.instruments import SimInstrument


@dataclass(frozen=True)
class BookConfig:
    spread_ticks: int = 1
    level_step_bps: float = 0.5
    level_notional: float = 60_000.0  # USDT at the best level of BTC-USDT-SWAP
    depth_growth: float = 0.35
    max_levels: int = 400


@dataclass(frozen=True)
class Level:
    px: Decimal
    sz: Decimal  # contracts
    orders: int


def _wiggle(i: int, second: int) -> float:
    x = math.sin(i * 12.9898 + (second % 100_003) * 78.233) * 43758.5453
    return 0.75 + 0.5 * (x - math.floor(x))


def _step_ticks(inst: SimInstrument, last: Decimal, cfg: BookConfig) -> int:
    return max(1, int(float(last) * cfg.level_step_bps / 10_000 / inst.tick))


def side_levels(inst: SimInstrument, last: Decimal, side: str, depth: int, ts_ms: int,
                cfg: BookConfig) -> list[Level]:
    """`side` is "bids" or "asks"; best first. The book at one price and second is the same for
    every caller (the ticker's best levels, the books request, the risk check), and a deeper book
    starts with the levels of a shallower one, so the last few are kept."""
    key = (inst.inst_id, inst.tick_sz, inst.lot_sz, inst.ct_val, inst.depth_scale, last, side, ts_ms // 1000, cfg)
    known = _recent_books.get(key)
    if known is None or known[0] < depth:
        built = max(depth, PREBUILT_DEPTH)
        known = (built, list(iter_levels(inst, last, side, built, ts_ms, cfg)))
        if len(_recent_books) >= RECENT_BOOKS:
            _recent_books.pop(next(iter(_recent_books)))
        _recent_books[key] = known
    return known[1][:depth]


RECENT_BOOKS = 16
# the ticker asks for the best level, then the snapshot for five (books5): build five at once
PREBUILT_DEPTH = 5
_recent_books: dict[tuple[object, ...], tuple[int, list[Level]]] = {}  # key → (depth asked, levels)


def iter_levels(inst: SimInstrument, last: Decimal, side: str, depth: int, ts_ms: int,
                cfg: BookConfig) -> Iterator[Level]:
    tick = inst.tick_sz
    step = _step_ticks(inst, last, cfg) * tick
    half = (cfg.spread_ticks // 2) * tick
    bid = last - half
    best = bid if side == "bids" else bid + cfg.spread_ticks * tick
    sign = -1 if side == "bids" else 1
    second = ts_ms // 1000
    unit = inst.ct_val * last
    for i in range(min(depth, cfg.max_levels)):
        px = best + sign * i * step
        if px <= 0:
            return
        usdt = cfg.level_notional * inst.depth_scale * (1 + cfg.depth_growth * i) * _wiggle(i, second)
        sz = (Decimal(usdt) / unit / inst.lot_sz).to_integral_value(ROUND_DOWN) * inst.lot_sz
        yield Level(px, max(sz, inst.lot_sz), 1 + int(_wiggle(i + 7, second) * 12))


def walk(inst: SimInstrument, last: Decimal, side: str, qty: Decimal, ts_ms: int, cfg: BookConfig,
         limit_px: Decimal | None = None) -> list[tuple[Decimal, Decimal]]:
    """(price, contracts) a taker `side` order of `qty` takes, best level first.

    With `limit_px` the walk stops at levels beyond it (the rest is left unfilled). Without it the
    order always fills completely: the last level absorbs what the book cannot.
    """
    fills: list[tuple[Decimal, Decimal]] = []
    left = qty
    level = None
    for level in iter_levels(inst, last, "asks" if side == "buy" else "bids", cfg.max_levels, ts_ms, cfg):
        if limit_px is not None and (level.px > limit_px if side == "buy" else level.px < limit_px):
            break
        take = min(left, level.sz)
        fills.append((level.px, take))
        left -= take
        if not left:
            return fills
    if left and limit_px is None:
        if fills:
            px, sz = fills[-1]
            fills[-1] = (px, sz + left)
        elif level is not None:
            fills.append((level.px, left))
    return fills
