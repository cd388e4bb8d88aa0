"""Deterministic cycle ids: a cycle is identified by its instrument and scheduled slot, so a
second beat or a redelivered task finds the cycle that already exists (its order's clOrdId is
derived from this id by exchange/orders.py)."""

from __future__ import annotations

from datetime import datetime

from trading_bot.clock import ensure_utc


def cycle_id_for(inst_id: str, scheduled_for: datetime, run_id: str = "live", trigger: str = "beat") -> str:
    """`BTCUSDTSWAP-20260105T120005` for a beat's slot; other runs and triggers say so."""
    slot = ensure_utc(scheduled_for).strftime("%Y%m%dT%H%M%S")
    prefix = "" if run_id == "live" else f"{run_id}-"
    suffix = "" if trigger in ("beat", "backtest") else f"-{trigger}"
    return f"{prefix}{inst_id.replace('-', '')}-{slot}{suffix}"[:64]
