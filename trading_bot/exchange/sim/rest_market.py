"""Public REST endpoints: time, instruments, funding, open interest, mark price, tickers, candles, books."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from trading_bot.exchange.sim import book, funding, okx_format
from trading_bot.exchange.sim.orders import Reject, param_error
from trading_bot.exchange.sim.params import Body, integer, text
from trading_bot.exchange.sim.series import BAR_SPECS
from trading_bot.exchange.sim.venue import Venue

Json = dict[str, Any]
OI_BASE_USDT = 2.5e9  # open interest of BTC-USDT-SWAP around which the simulated one breathes


def inst_id_of(venue: Venue, q: Body) -> str:
    inst_id = text(q, "instId", True)
    if inst_id not in venue.market.data:
        raise Reject("51001", "Instrument ID, Instrument ID code or Spread ID doesn't exist.")
    return inst_id


def _swap_only(venue: Venue, q: Body) -> list[str]:
    inst_type = text(q, "instType", True)
    if inst_type not in ("SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"):
        raise param_error("instType")
    if inst_type != "SWAP":
        return []
    return [inst_id_of(venue, q)] if text(q, "instId") else list(venue.market.data)


def time_(venue: Venue, q: Body) -> list[Json]:
    return [{"ts": str(venue.now_ms)}]


def instruments(venue: Venue, q: Body) -> list[Json]:
    return [okx_format.instrument(venue.engine.quotes.instruments[i]) for i in _swap_only(venue, q)]


def mark_price(venue: Venue, q: Body) -> list[Json]:
    return [{"instType": "SWAP", "instId": i, "markPx": num_px(venue, i), "ts": str(venue.now_ms)}
            for i in _swap_only(venue, q)]


def num_px(venue: Venue, inst_id: str) -> str:
    return okx_format.num(venue.engine.quotes.mark(inst_id))


def open_interest(venue: Venue, q: Body) -> list[Json]:
    return [open_interest_row(venue, i) for i in _swap_only(venue, q)]


def open_interest_row(venue: Venue, inst_id: str) -> Json:
    inst = venue.engine.quotes.instruments[inst_id]
    price = venue.price(inst_id)
    hours = venue.now_ms / 3_600_000
    usd = OI_BASE_USDT * inst.depth_scale * (1 + 0.08 * math.sin(hours / 17) + 0.03 * math.sin(hours / 2.3))
    oi_ccy = usd / price
    return {"instId": inst_id, "instType": "SWAP", "oi": okx_format.qty(round(oi_ccy / float(inst.ct_val), 2)),
            "oiCcy": okx_format.qty(oi_ccy), "oiUsd": okx_format.qty(usd), "ts": str(venue.now_ms)}


def funding_rate(venue: Venue, q: Body) -> list[Json]:
    return [funding_row(venue, inst_id_of(venue, q))]


def funding_row(venue: Venue, inst_id: str) -> Json:
    schedule = venue.data(inst_id).funding
    upcoming = funding.next_settlement(venue.now_ms)
    rate = schedule.rate_for(upcoming)
    return okx_format.funding_rate(inst_id, rate, upcoming, schedule.rate_for(upcoming - funding.INTERVAL_MS),
                                   rate * 0.9, venue.now_ms)


def funding_history(venue: Venue, q: Body) -> list[Json]:
    inst_id = inst_id_of(venue, q)
    limit = integer(q, "limit", 100, 100)
    newest = venue.now_ms
    if text(q, "after"):
        newest = min(newest, int(text(q, "after")) - 1)
    rows = venue.data(inst_id).funding.history(newest, limit)
    if text(q, "before"):
        rows = [r for r in rows if r[0] > int(text(q, "before"))]
    return [okx_format.funding_history_row(inst_id, t, r) for t, r in rows]


def ticker(venue: Venue, q: Body) -> list[Json]:
    return [ticker_row(venue, inst_id_of(venue, q))]


def tickers(venue: Venue, q: Body) -> list[Json]:
    return [ticker_row(venue, i) for i in _swap_only(venue, q)]


def ticker_row(venue: Venue, inst_id: str) -> Json:
    data = venue.data(inst_id)
    inst = data.inst
    price = venue.price(inst_id)
    stats = data.day_stats(venue.now_ms, price)
    last = venue.engine.quotes.mark(inst_id)
    bid = book.side_levels(inst, last, "bids", 1, venue.now_ms, venue.engine.config.book)[0]
    ask = book.side_levels(inst, last, "asks", 1, venue.now_ms, venue.engine.config.book)[0]
    ct = float(inst.ct_val)
    digits = inst.price_digits
    last_sz = max(float(inst.lot_sz), round(stats.vol_ccy24h / ct / 86_400 * 3, 2))
    return {
        "instType": "SWAP", "instId": inst_id, "last": okx_format.num(last), "lastSz": okx_format.qty(last_sz),
        "askPx": okx_format.num(ask.px), "askSz": okx_format.num(ask.sz), "bidPx": okx_format.num(bid.px),
        "bidSz": okx_format.num(bid.sz), "open24h": okx_format.px(stats.open24h, digits),
        "high24h": okx_format.px(stats.high24h, digits), "low24h": okx_format.px(stats.low24h, digits),
        "volCcy24h": okx_format.qty(stats.vol_ccy24h), "vol24h": okx_format.qty(round(stats.vol_ccy24h / ct, 2)),
        "ts": str(venue.now_ms), "sodUtc0": okx_format.px(stats.sod_utc0, digits),
        "sodUtc8": okx_format.px(stats.sod_utc8, digits),
    }


def _candles(venue: Venue, q: Body, maximum: int, confirmed_only: bool) -> list[list[str]]:
    inst_id = inst_id_of(venue, q)
    bar = text(q, "bar", default="1m")
    if bar not in BAR_SPECS:
        raise param_error("bar")
    after, before = text(q, "after"), text(q, "before")
    try:
        after_ms, before_ms = (int(after) if after else None), (int(before) if before else None)
    except ValueError:
        raise param_error("after" if after else "before") from None
    data = venue.data(inst_id)
    rows = data.candles(bar, venue.now_ms, venue.price(inst_id), after_ms, before_ms,
                        integer(q, "limit", 100, maximum), confirmed_only)
    return [okx_format.candle(row, data.inst) for row in rows]


def candles(venue: Venue, q: Body) -> list[list[str]]:
    return _candles(venue, q, 300, confirmed_only=False)


def history_candles(venue: Venue, q: Body) -> list[list[str]]:
    return _candles(venue, q, 100, confirmed_only=True)


def books(venue: Venue, q: Body) -> list[Json]:
    inst_id = inst_id_of(venue, q)
    return [book_snapshot(venue, inst_id, integer(q, "sz", 1, 400))]


def book_snapshot(venue: Venue, inst_id: str, depth: int) -> Json:
    inst = venue.engine.quotes.instruments[inst_id]
    last: Decimal = venue.engine.quotes.mark(inst_id)
    cfg = venue.engine.config.book
    side = {s: [okx_format.book_level(lv.px, lv.sz, lv.orders)
                for lv in book.side_levels(inst, last, s, depth, venue.now_ms, cfg)] for s in ("asks", "bids")}
    return {"asks": side["asks"], "bids": side["bids"], "ts": str(venue.now_ms)}
