"""Trade REST endpoints. Writes answer per item with `sCode`/`sMsg` (the envelope's code is derived
from them by the server); reads return order, fill and algo rows, newest first."""

from __future__ import annotations

from typing import Any

from trading_bot.exchange.sim import okx_format, params
from trading_bot.exchange.sim.orders import Reject, SimOrder, param_error, param_missing
from trading_bot.exchange.sim.params import Body, integer, text
from trading_bot.exchange.sim.rest_market import inst_id_of
from trading_bot.exchange.sim.venue import Venue

Json = dict[str, Any]
ALGO_TYPES = ("conditional", "oco", "trigger")


def _item(exc: Reject | None, **fields: str) -> Json:
    """One item of a write's answer: accepted (`exc` None), or refused with OKX's code and message."""
    return {**fields, "sCode": "0" if exc is None else exc.code, "sMsg": "" if exc is None else exc.msg}


def place_order(venue: Venue, q: Body) -> list[Json]:
    p = params.order_params(q)
    ts = str(venue.now_ms)
    try:
        order = venue.engine.place_order(p)
    except Reject as exc:
        if exc.http != 200:
            raise
        return [{"clOrdId": p.cl_ord_id, "ordId": "", "sCode": exc.code, "sMsg": exc.msg, "tag": p.tag, "ts": ts}]
    return [{"clOrdId": order.cl_ord_id, "ordId": order.ord_id, "sCode": "0", "sMsg": "Order placed",
             "tag": order.tag, "ts": ts}]


def cancel_order(venue: Venue, q: Body) -> list[Json]:
    inst_id, ord_id, cl_ord_id = text(q, "instId", True), text(q, "ordId"), text(q, "clOrdId")
    ts = str(venue.now_ms)
    try:
        order = venue.engine.cancel_order(inst_id, ord_id, cl_ord_id)
    except Reject as exc:
        if exc.http != 200:
            raise
        return [_item(exc, clOrdId=cl_ord_id, ordId=ord_id, ts=ts)]
    return [_item(None, clOrdId=order.cl_ord_id, ordId=order.ord_id, ts=ts)]


def amend_order(venue: Venue, q: Body) -> list[Json]:
    inst_id, ord_id, cl_ord_id = text(q, "instId", True), text(q, "ordId"), text(q, "clOrdId")
    req_id, ts = text(q, "reqId"), str(venue.now_ms)
    try:
        order = venue.engine.amend_order(inst_id, ord_id, cl_ord_id, params.decimal(q, "newSz"),
                                         params.decimal(q, "newPx"))
    except Reject as exc:
        if exc.http != 200:
            raise
        return [_item(exc, clOrdId=cl_ord_id, ordId=ord_id, ts=ts, reqId=req_id)]
    venue.engine.events.amended(order.ord_id)
    return [_item(None, clOrdId=order.cl_ord_id, ordId=order.ord_id, ts=ts, reqId=req_id)]


def get_order(venue: Venue, q: Body) -> list[Json]:
    inst_id = inst_id_of(venue, q)
    ord_id, cl_ord_id = text(q, "ordId"), text(q, "clOrdId")
    if not ord_id and not cl_ord_id:
        raise Reject("51003", "Either client order ID or order ID is required.")
    order = venue.engine.orders.find(ord_id, cl_ord_id)
    if order is None or order.inst_id != inst_id:
        raise Reject("51603", "Order does not exist.")
    return [okx_format.order(order)]


def _filtered(venue: Venue, q: Body, orders: list[SimOrder]) -> list[SimOrder]:
    inst_type = text(q, "instType")
    if inst_type and inst_type != "SWAP":
        return []
    inst_id, ord_type, state = text(q, "instId"), text(q, "ordType"), text(q, "state")
    return [o for o in orders if (not inst_id or o.inst_id == inst_id) and (not ord_type or o.ord_type == ord_type)
            and (not state or o.state == state)]


def _page(rows: list[Any], q: Body, key: str, limit: int) -> list[Any]:
    """Newest first; `after` = older than that id, `before` = newer (ids grow with time)."""
    after, before = text(q, "after"), text(q, "before")
    if after:
        rows = [r for r in rows if int(getattr(r, key)) < int(after)]
    if before:
        rows = [r for r in rows if int(getattr(r, key)) > int(before)]
    return rows[:limit]


def orders_pending(venue: Venue, q: Body) -> list[Json]:
    live = sorted(venue.engine.orders.live.values(), key=lambda o: int(o.ord_id), reverse=True)
    return [okx_format.order(o) for o in _page(_filtered(venue, q, live), q, "ord_id", integer(q, "limit", 100, 100))]


def orders_history(venue: Venue, q: Body) -> list[Json]:
    text(q, "instType", True)
    done = [o for o in reversed(venue.engine.orders.by_id.values()) if not o.is_live]
    return [okx_format.order(o) for o in _page(_filtered(venue, q, done), q, "ord_id", integer(q, "limit", 100, 100))]


def fills(venue: Venue, q: Body) -> list[Json]:
    inst_id, ord_id = text(q, "instId"), text(q, "ordId")
    rows = [f for f in reversed(venue.engine.orders.fills)
            if (not inst_id or f.inst_id == inst_id) and (not ord_id or f.ord_id == ord_id)]
    return [okx_format.fill(f) for f in _page(rows, q, "bill_id", integer(q, "limit", 100, 100))]


def close_position(venue: Venue, q: Body) -> list[Json]:
    inst_id = inst_id_of(venue, q)
    mgn_mode, cl_ord_id, tag = text(q, "mgnMode", True), text(q, "clOrdId"), text(q, "tag")
    pos_side = venue.engine.close_position(inst_id, mgn_mode, text(q, "posSide"), params.flag(q, "autoCxl"),
                                           cl_ord_id, tag)
    return [{"clOrdId": cl_ord_id, "instId": inst_id, "posSide": pos_side, "tag": tag}]


def place_algo(venue: Venue, q: Body) -> list[Json]:
    p = params.algo_params(q)
    try:
        algo = venue.engine.place_algo(p)
    except Reject as exc:
        if exc.http != 200:
            raise
        return [_item(exc, algoClOrdId=p.algo_cl_ord_id, algoId="", clOrdId=p.algo_cl_ord_id, tag=p.tag)]
    return [_item(None, algoClOrdId=algo.algo_cl_ord_id, algoId=algo.algo_id, clOrdId=algo.algo_cl_ord_id,
                  tag=algo.tag)]


def cancel_algos(venue: Venue, q: Body | list[Body]) -> list[Json]:
    if not isinstance(q, list) or not q:
        raise param_missing("algoId")
    results = []
    for item in q:
        inst_id, algo_id, algo_cl = text(item, "instId", True), text(item, "algoId"), text(item, "algoClOrdId")
        try:
            algo = venue.engine.cancel_algo(inst_id, algo_id, algo_cl)
        except Reject as exc:
            if exc.http != 200:
                raise
            results.append(_item(exc, algoClOrdId=algo_cl, algoId=algo_id, clOrdId="", tag=""))
        else:
            results.append(_item(None, algoClOrdId=algo.algo_cl_ord_id, algoId=algo.algo_id, clOrdId="",
                                 tag=algo.tag))
    return results


def _algo_rows(venue: Venue, q: Body, live: bool) -> list[Json]:
    engine = venue.engine
    ord_types = [t for t in text(q, "ordType").split(",") if t]
    algo_id, algo_cl = text(q, "algoId"), text(q, "algoClOrdId")
    if not ord_types and not algo_id and not algo_cl:
        raise param_missing("ordType")
    if any(t not in ALGO_TYPES for t in ord_types):
        raise param_error("ordType")
    state, inst_id = text(q, "state"), text(q, "instId")
    source = engine.algos.live() if live else [a for a in engine.algos.by_id.values() if a.state != "live"]
    rows = [a for a in reversed(source) if (not ord_types or a.ord_type in ord_types)
            and (not algo_id or a.algo_id == algo_id) and (not algo_cl or a.algo_cl_ord_id == algo_cl)
            and (not state or a.state == state) and (not inst_id or a.inst_id == inst_id)]
    rows = _page(rows, q, "algo_id", integer(q, "limit", 100, 100))
    return [okx_format.algo(a, engine.quotes.mark(a.inst_id)) for a in rows]


def algos_pending(venue: Venue, q: Body) -> list[Json]:
    return _algo_rows(venue, q, live=True)


def algos_history(venue: Venue, q: Body) -> list[Json]:
    return _algo_rows(venue, q, live=False)


def get_algo(venue: Venue, q: Body) -> list[Json]:
    algo = venue.engine.algos.find(text(q, "algoId"), text(q, "algoClOrdId"))
    if algo is None:
        raise Reject("51603", "Order does not exist.")
    return [okx_format.algo(algo, venue.engine.quotes.mark(algo.inst_id))]
