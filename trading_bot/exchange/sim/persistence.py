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
    account, settings, orders = engine.account, engine.settings, engine.orders
    state = {
        "version": VERSION, "now_ms": venue.now_ms, "next_funding_ms": venue.next_funding_ms,
        "cash": str(account.cash), "ledger": _plain(account.ledger), "pos_mode": settings.pos_mode,
        "u_time": account.u_time, "levers": [[*k, str(v)] for k, v in settings.levers.items()],
        "ids": engine.ids.counters, "positions": [_plain(p) for p in engine.positions.by_key.values()],
        "orders": [_plain(o) for o in orders.by_id.values()], "live": list(orders.live),
        "algos": [_plain(a) for a in engine.algos.by_id.values()], "fills": [_plain(f) for f in orders.fills[-FILLS_KEPT:]],
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
    engine.account.cash = Decimal(state["cash"])
    engine.account.ledger = {k: Decimal(v) for k, v in state["ledger"].items()}
    engine.settings.pos_mode, engine.account.u_time = state["pos_mode"], int(state["u_time"])
    engine.settings.levers = {(i, m, s): Decimal(v) for i, m, s, v in state["levers"]}
    engine.ids.counters.update(state["ids"])
    engine.positions.restore([_build(SimPosition, item) for item in state["positions"]])
    engine.orders.restore([_build(SimOrder, o) for o in state["orders"]], state["live"],
                          [_build(SimFill, f) for f in state["fills"]])
    engine.algos.restore([_build(SimAlgo, item) for item in state["algos"]])
    engine.events.drain()
    engine.recompute_all()
