"""Deterministic ids: a cycle is identified by its instrument and scheduled slot, and its order's
clOrdId is derived from the cycle id, so a retried or redelivered task can find what it did."""

from __future__ import annotations

import hashlib
from datetime import datetime

from trading_bot.clock import ensure_utc


def cycle_id_for(inst_id: str, scheduled_for: datetime, run_id: str = "live", trigger: str = "beat") -> str:
    slot = ensure_utc(scheduled_for).strftime("%Y%m%dT%H%M%S")
    compact = inst_id.replace("-", "")
    suffix = "" if trigger == "beat" else f"-{trigger}"
    prefix = "" if run_id == "live" else f"{run_id}-"
    return f"{prefix}{compact}-{slot}{suffix}"[:64]


def cl_ord_id_for(cycle_id: str, purpose: str = "entry") -> str:
    """OKX clOrdId: 1-32 letters/digits. 'tb' + purpose initial + 28 hex chars of a hash."""
    digest = hashlib.sha256(f"{cycle_id}|{purpose}".encode()).hexdigest()[:28]
    return f"tb{purpose[0]}{digest}"[:32]
