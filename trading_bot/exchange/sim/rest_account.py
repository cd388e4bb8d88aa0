"""Account REST endpoints: balance, positions, config, position mode, leverage."""

from __future__ import annotations

from typing import Any

from trading_bot.exchange.sim import okx_format
from trading_bot.exchange.sim.engine import Engine
from trading_bot.exchange.sim.orders import ZERO, SimPosition, param_error
from trading_bot.exchange.sim.params import Body, required_decimal, text
from trading_bot.exchange.sim.rest_market import inst_id_of
from trading_bot.exchange.sim.venue import Venue

Json = dict[str, Any]
SIM_UID = "580000000000000001"


def balance(venue: Venue, q: Body) -> list[Json]:
    ccys = [c for c in text(q, "ccy").split(",") if c]
    if ccys and "USDT" not in ccys:
        return [okx_format.balance(venue.engine.account.figures(), venue.engine.account.u_time) | {"details": []}]
    return [okx_format.balance(venue.engine.account.figures(), venue.engine.account.u_time)]


def positions(venue: Venue, q: Body) -> list[Json]:
    inst_type = text(q, "instType")
    if inst_type and inst_type not in ("SWAP", "MARGIN", "FUTURES", "OPTION"):
        raise param_error("instType")
    if inst_type and inst_type != "SWAP":
        return []
    inst_id = inst_id_of(venue, q) if text(q, "instId") else ""
    pos_ids = {p for p in text(q, "posId").split(",") if p}
    return [position_row(venue.engine, p) for p in venue.engine.positions.by_key.values()
            if (not inst_id or p.inst_id == inst_id) and (not pos_ids or p.pos_id in pos_ids)]


def position_row(engine: Engine, pos: SimPosition) -> Json:
    inst = engine.quotes.instruments[pos.inst_id]
    closing_side = "sell" if pos.qty > 0 else "buy"
    pending = engine.orders.pending_closing(pos, closing_side) if pos.qty else ZERO
    algos = [a for a in engine.algos.live(pos.inst_id)
             if a.close_fraction and a.pos_side == pos.pos_side and a.td_mode == pos.mgn_mode]
    return okx_format.position(pos, inst, engine.quotes.mark(pos.inst_id), abs(pos.qty) - pending, algos)


def config(venue: Venue, q: Body) -> list[Json]:
    return [okx_format.account_config(venue.engine.settings.pos_mode, SIM_UID)]


def set_position_mode(venue: Venue, q: Body) -> list[Json]:
    mode = text(q, "posMode", True)
    venue.engine.set_position_mode(mode)
    return [{"posMode": mode}]


def set_leverage(venue: Venue, q: Body) -> list[Json]:
    inst_id = inst_id_of(venue, q)
    lever = required_decimal(q, "lever")
    return venue.engine.set_leverage(inst_id, lever, text(q, "mgnMode", True), text(q, "posSide"))


def leverage_info(venue: Venue, q: Body) -> list[Json]:
    engine = venue.engine
    mode = text(q, "mgnMode", True)
    if mode not in ("cross", "isolated"):
        raise param_error("mgnMode")
    rows: list[Json] = []
    for inst_id in text(q, "instId", True).split(","):
        inst_id_of(venue, {"instId": inst_id})
        sides = ["net"] if engine.settings.net else ["long", "short"]
        rows += okx_format.leverage_rows(inst_id, mode, [(s, engine.settings.lever_for(inst_id, mode, s)) for s in sides])
    return rows
