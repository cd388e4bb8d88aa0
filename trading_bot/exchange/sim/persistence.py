"""Save and restore the simulated account (cash, ledger, settings, positions, orders, algo orders,
recent fills, id counters) and the market clock, so a restarted simulator remembers its positions.

JSON with Decimals as strings; written atomically (temp file + rename).
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from decimal import Decimal
from pathlib import Path
from typing import Any

from trading_bot.exchange.sim.orders import AttachSpec, SimAlgo, SimFill, SimOrder, SimPosition
from trading_bot.exchange.sim.venue import Venue

VERSION = 1
FILLS_KEPT = 2000


class StateFileError(ValueError):
    """The state file cannot be read back; the message names it and says why."""


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _build(cls: type, data: dict[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, value in data.items():
        hint = str(hints.get(name, ""))
        if value is not None and "Decimal" in hint:
            value = Decimal(value)
        elif name == "attach":
            value = [_build(AttachSpec, item) for item in value]
        kwargs[name] = value
    return cls(**kwargs)


def save(venue: Venue, path: Path) -> None:
    engine = venue.engine
    state = {
        "version": VERSION, "now_ms": venue.now_ms, "next_funding_ms": venue.next_funding_ms,
        "cash": str(engine.cash), "ledger": _plain(engine.ledger), "pos_mode": engine.pos_mode,
        "u_time": engine.u_time, "levers": [[*k, str(v)] for k, v in engine.levers.items()],
        "ids": engine.ids.counters, "positions": [_plain(p) for p in engine.positions.values()],
        "orders": [_plain(o) for o in engine.orders.values()], "live": list(engine.live),
        "algos": [_plain(a) for a in engine.algos.values()], "fills": [_plain(f) for f in engine.fills[-FILLS_KEPT:]],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


def saved_time(path: Path) -> int | None:
    """Market time (ms) stored in a state file, or None when it is unreadable."""
    try:
        return int(json.loads(path.read_text())["now_ms"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load(venue: Venue, path: Path) -> None:
    """Restore `path` into a freshly created venue (market time jumps to the saved time)."""
    try:
        state = json.loads(path.read_text())
        if state.get("version") != VERSION:
            raise StateFileError(f"{path}: state version {state.get('version')} is not {VERSION}")
        _restore(venue, state)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, StateFileError):
            raise
        raise StateFileError(f"{path}: cannot restore simulator state ({type(exc).__name__}: {exc})") from None


def _restore(venue: Venue, state: dict[str, Any]) -> None:
    engine = venue.engine
    venue.advance_to(int(state["now_ms"]))
    venue.next_funding_ms = int(state["next_funding_ms"])
    engine.cash = Decimal(state["cash"])
    engine.ledger = {k: Decimal(v) for k, v in state["ledger"].items()}
    engine.pos_mode, engine.u_time = state["pos_mode"], int(state["u_time"])
    engine.levers = {(i, m, s): Decimal(v) for i, m, s, v in state["levers"]}
    engine.ids.counters.update(state["ids"])
    engine.positions = {}
    for item in state["positions"]:
        pos = _build(SimPosition, item)
        engine.positions[pos.key] = pos
    engine.orders = {o["ord_id"]: _build(SimOrder, o) for o in state["orders"]}
    engine.live = {i: engine.orders[i] for i in state["live"] if i in engine.orders}
    for order in engine.orders.values():
        if order.cl_ord_id:
            engine._cl_index[order.cl_ord_id] = order.ord_id  # noqa: SLF001 - the engine's own index
    engine.init_algos()
    for item in state["algos"]:
        algo = _build(SimAlgo, item)
        engine.algos[algo.algo_id] = algo
        if algo.state == "live":
            engine._live_algos[algo.algo_id] = algo  # noqa: SLF001
    engine.fills = [_build(SimFill, f) for f in state["fills"]]
    engine.drain_events()
    engine.recompute_all()
