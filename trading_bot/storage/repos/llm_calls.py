"""`llm_calls`: every LLM and research call with its request, response, tokens and USD cost.

Times are the injected clock's (`created_at` is set by the caller), so a backtest's ledger follows
market time. Replayed calls are stored too (`replayed = true`, cost 0: no money was spent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import Select, func, select

from trading_bot.storage.db import Database
from trading_bot.storage.models import LIVE_RUN, LlmCall, Trade


@dataclass(frozen=True)
class LlmCallRecord:
    purpose: str
    provider: str
    model: str
    prompt_version: str
    prompt_hash: str
    request: dict[str, Any]
    response: dict[str, Any] | None
    created_at: datetime
    parsed: dict[str, Any] | None = None
    parse_error: str | None = None
    error: str | None = None
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    latency_ms: int = 0
    cost_usd: Decimal = Decimal(0)
    replayed: bool = False
    cycle_id: str | None = None
    run_id: str = LIVE_RUN


def insert_call(db: Database, record: LlmCallRecord) -> int:
    row = LlmCall(**record.__dict__)
    with db.session() as session:
        session.add(row)
        session.flush()
        return int(row.id)


def find_recorded(db: Database, provider: str, model: str, prompt_hash: str) -> LlmCallRecord | None:
    """The latest original (not replayed) call with this model and prompt hash."""
    query = (
        select(LlmCall)
        .where(
            LlmCall.provider == provider,
            LlmCall.model == model,
            LlmCall.prompt_hash == prompt_hash,
            LlmCall.replayed.is_(False),
        )
        .order_by(LlmCall.id.desc())
        .limit(1)
    )
    with db.session() as session:
        row = session.scalars(query).first()
        return _record(row) if row is not None else None


def get_call(db: Database, call_id: int) -> LlmCallRecord | None:
    with db.session() as session:
        row = session.get(LlmCall, call_id)
        return _record(row) if row is not None else None


def list_calls(db: Database, start: datetime, end: datetime, run_id: str | None = None) -> list[LlmCallRecord]:
    query = select(LlmCall).where(LlmCall.created_at >= start, LlmCall.created_at < end).order_by(LlmCall.id)
    if run_id is not None:
        query = query.where(LlmCall.run_id == run_id)
    with db.session() as session:
        return [_record(row) for row in session.scalars(query)]


def cost_between(
    db: Database, start: datetime, end: datetime, run_id: str = LIVE_RUN, model: str | None = None
) -> Decimal:
    query = select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(
        LlmCall.run_id == run_id, LlmCall.created_at >= start, LlmCall.created_at < end
    )
    if model is not None:
        query = query.where(LlmCall.model == model)
    with db.session() as session:
        return Decimal(session.scalar(query) or 0)


def cost_before(db: Database, end: datetime, run_id: str = LIVE_RUN) -> Decimal:
    """Everything the run spent before `end` (its whole history up to now)."""
    query = select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(LlmCall.run_id == run_id,
                                                                      LlmCall.created_at < end)
    with db.session() as session:
        return Decimal(session.scalar(query) or 0)


Period = Literal["day", "week", "month"]


def cost_by_period(db: Database, period: Period, start: datetime, end: datetime,
                   run_id: str = LIVE_RUN) -> dict[date, Decimal]:
    """Spend in [start, end) per UTC day, week (from Monday: PostgreSQL's date_trunc) or month,
    keyed by the period's first day; periods without calls are absent."""
    bucket = func.date_trunc(period, func.timezone("UTC", LlmCall.created_at))
    query = (select(bucket, func.sum(LlmCall.cost_usd))
             .where(LlmCall.run_id == run_id, LlmCall.created_at >= start, LlmCall.created_at < end)
             .group_by(bucket))
    with db.session() as session:
        return {first.date(): Decimal(cost) for first, cost in session.execute(query)}


def cost_of_cycle(db: Database, cycle_id: str) -> Decimal:
    query = select(func.coalesce(func.sum(LlmCall.cost_usd), 0)).where(LlmCall.cycle_id == cycle_id)
    with db.session() as session:
        return Decimal(session.scalar(query) or 0)


def cost_per_trade_query(run_id: str = LIVE_RUN) -> Select[int, Decimal]:
    """(trade id, cost of the calls of the cycle that opened it) for the run's trades with such calls;
    callers add conditions on `Trade` (the report: closed in its period)."""
    return (
        select(Trade.id, func.coalesce(func.sum(LlmCall.cost_usd), 0))
        .join(LlmCall, LlmCall.cycle_id == Trade.cycle_id)
        .where(Trade.run_id == run_id)
        .group_by(Trade.id)
        .order_by(Trade.id)
    )


def cost_per_trade(db: Database, run_id: str = LIVE_RUN) -> dict[int, Decimal]:
    """Trade id -> cost of the calls of the cycle that opened it."""
    with db.session() as session:
        return {int(trade_id): Decimal(cost) for trade_id, cost in session.execute(cost_per_trade_query(run_id))}


def _record(row: LlmCall) -> LlmCallRecord:
    fields = LlmCallRecord.__dataclass_fields__
    return LlmCallRecord(**{name: getattr(row, name) for name in fields})


@dataclass(frozen=True)
class FailureStreak:
    failures: int  # unusable calls in a row
    since_id: int  # the last usable call before them (0: none)
    latest_at: datetime | None = None  # when the latest of them was recorded
    latest_error: str | None = None


def failure_streak(db: Database, purpose: str, run_id: str = LIVE_RUN, upto: int | None = None) -> FailureStreak:
    """The failed calls of `purpose` in a row, counting back from the latest call (or from call `upto`)."""
    scope = [LlmCall.purpose == purpose, LlmCall.run_id == run_id]
    if upto is not None:
        scope.append(LlmCall.id <= upto)
    last_ok = select(func.coalesce(func.max(LlmCall.id), 0)).where(*scope, LlmCall.error.is_(None)).scalar_subquery()
    query = (select(last_ok, func.count().over(), LlmCall.created_at, LlmCall.error)
             .where(*scope, LlmCall.id > last_ok).order_by(LlmCall.id.desc()).limit(1))
    with db.session() as session:
        row = session.execute(query).first()
    if row is None:
        return FailureStreak(0, 0)
    since_id, failures, latest_at, latest_error = row
    return FailureStreak(int(failures), int(since_id), latest_at, latest_error)


@dataclass(frozen=True)
class CostLine:
    model: str
    purpose: str
    calls: int
    failed: int
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_read_tokens: int
    cost_usd: Decimal


def cost_breakdown(db: Database, start: datetime, end: datetime, run_id: str = LIVE_RUN) -> list[CostLine]:
    """Per model and purpose in [start, end): calls, failures, tokens and cost, most expensive first."""
    cost = func.coalesce(func.sum(LlmCall.cost_usd), 0)
    query = (
        select(LlmCall.model, LlmCall.purpose, func.count(), func.count().filter(LlmCall.error.is_not(None)),
               func.sum(LlmCall.input_tokens), func.sum(LlmCall.output_tokens),
               func.sum(LlmCall.cache_write_tokens), func.sum(LlmCall.cache_read_tokens), cost)
        .where(LlmCall.run_id == run_id, LlmCall.created_at >= start, LlmCall.created_at < end)
        .group_by(LlmCall.model, LlmCall.purpose)
        .order_by(cost.desc())
    )
    with db.session() as session:
        return [CostLine(m, p, int(n), int(f), int(i or 0), int(o or 0), int(w or 0), int(r or 0), Decimal(c))
                for m, p, n, f, i, o, w, r, c in session.execute(query)]
