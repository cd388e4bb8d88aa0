"""ORM models. Alembic migrations are the source of schema truth; a test asserts that these models
and `alembic upgrade head` agree (autogenerate finds no difference).

Conventions: money and sizes are NUMERIC (Decimal), times are timestamptz (UTC), `side` is
long/short for positions and trades and buy/sell for orders and fills, `run_id` separates a live
run ('live') from backtest runs written to the same database.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from trading_bot.storage import LIVE_RUN as LIVE_RUN  # re-exported: the repositories import it from here

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(asdecimal=True)
Tz = DateTime(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: Tz, Decimal: Money, dict[str, Any]: JSONB, list[Any]: JSONB}


def _now() -> Any:
    return mapped_column(Tz, nullable=False, server_default=func.now())


def _run_id() -> Any:
    return mapped_column(String(64), nullable=False, server_default=LIVE_RUN, index=True)


class Candle(Base):
    __tablename__ = "candles"
    __table_args__ = (
        PrimaryKeyConstraint("instrument", "timeframe", "ts", name="pk_candles"),
        Index("ix_candles_ts_brin", "ts", postgresql_using="brin"),
    )

    instrument: Mapped[str] = mapped_column(String(32))
    timeframe: Mapped[str] = mapped_column(String(8))
    ts: Mapped[datetime]  # bar open time
    open: Mapped[Decimal]
    high: Mapped[Decimal]
    low: Mapped[Decimal]
    close: Mapped[Decimal]
    volume: Mapped[Decimal]  # contracts
    volume_ccy: Mapped[Decimal]  # base currency
    volume_quote: Mapped[Decimal]  # USDT
    confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[datetime] = _now()


class DecisionCycle(Base):
    __tablename__ = "decision_cycles"
    __table_args__ = (
        Index("ix_decision_cycles_instrument_started_at", "instrument", "started_at"),
        # Two beats must never start two cycles for the same instrument and slot.
        Index(
            "uq_decision_cycles_beat_slot",
            "run_id",
            "instrument",
            "scheduled_for",
            unique=True,
            postgresql_where=text("trigger = 'beat'"),
        ),
        # The sweeper's question every minute: which cycles never ended (pipeline/sweep.py)
        Index("ix_decision_cycles_unfinished", "run_id", "started_at", postgresql_where=text("finished_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str] = _run_id()
    instrument: Mapped[str] = mapped_column(String(32))
    trigger: Mapped[str] = mapped_column(String(16))  # beat | manual | backtest
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    stage: Mapped[str] = mapped_column(String(16))  # current/last stage (COLLECTING … REFLECTING, DONE)
    outcome: Mapped[str | None] = mapped_column(String(32))  # … or abandoned / missed (cause in `error`)
    # One entry per stage run, in order (repos/cycles.record_stage); Grafana's System health dashboard
    # reads it: {"stage": "SCREENING", "started_at": ISO-8601, "ended_at": ISO-8601, "ms": 12.5, "outcome": …}
    timeline: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    snapshot: Mapped[dict[str, Any] | None]
    screener_signal: Mapped[bool | None]
    shadow: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    decision: Mapped[dict[str, Any] | None]
    action: Mapped[str | None] = mapped_column(String(16))
    verdict: Mapped[dict[str, Any] | None]
    approved: Mapped[bool | None]
    cl_ord_id: Mapped[str | None] = mapped_column(String(32), index=True)
    cost_usd: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default=text("0"))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class LlmCall(Base):
    __tablename__ = "llm_calls"
    __table_args__ = (
        Index("ix_llm_calls_model_prompt_hash", "model", "prompt_hash"),
        Index("ix_llm_calls_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    cycle_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("decision_cycles.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(16))  # screen | analyze | review | reflect | research
    provider: Mapped[str] = mapped_column(String(16))  # anthropic | perplexity | rules
    model: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[str] = mapped_column(String(32))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    request: Mapped[dict[str, Any]]
    response: Mapped[dict[str, Any] | None]
    parsed: Mapped[dict[str, Any] | None]
    parse_error: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    input_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    output_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cache_write_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cache_read_tokens: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    latency_ms: Mapped[int] = mapped_column(Integer, nullable=False, server_default=text("0"))
    cost_usd: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default=text("0"))
    replayed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[datetime] = _now()


class ScreenerLog(Base):
    __tablename__ = "screener_logs"
    __table_args__ = (Index("ix_screener_logs_ts", "ts"), Index("ix_screener_logs_run_id_ts", "run_id", "ts"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    cycle_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("decision_cycles.id", ondelete="CASCADE"), index=True
    )
    llm_call_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("llm_calls.id", ondelete="SET NULL"))
    instrument: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime]
    model: Mapped[str] = mapped_column(String(64))
    signal: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    bypass_reason: Mapped[str | None] = mapped_column(String(64))
    parse_error: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    shadow_analysed: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    analyst_action: Mapped[str | None] = mapped_column(String(16))
    analyst_agreed: Mapped[bool | None]
    created_at: Mapped[datetime] = _now()


class RiskRejection(Base):
    __tablename__ = "risk_rejections"
    __table_args__ = (Index("ix_risk_rejections_ts", "ts"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    cycle_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("decision_cycles.id", ondelete="CASCADE"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(32))
    ts: Mapped[datetime]
    rule: Mapped[str] = mapped_column(String(48), index=True)
    reason: Mapped[str] = mapped_column(Text)
    numbers: Mapped[dict[str, Any]]
    decision: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = _now()


class Trade(Base):
    __tablename__ = "trades"
    __table_args__ = (
        CheckConstraint("side IN ('long', 'short')", name="side"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_trades_instrument_entry_ts", "instrument", "entry_ts"),
        Index("ix_trades_exit_ts", "exit_ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    cycle_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("decision_cycles.id", ondelete="SET NULL"), unique=True
    )
    instrument: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))
    strategy: Mapped[str] = mapped_column(String(64), nullable=False, server_default="")
    regime: Mapped[str | None] = mapped_column(String(16))
    confidence: Mapped[Decimal | None]
    leverage: Mapped[Decimal]
    size: Mapped[Decimal]  # contracts
    notional: Mapped[Decimal]  # USDT at entry
    entry_ts: Mapped[datetime]
    entry_px: Mapped[Decimal]
    stop_loss: Mapped[Decimal | None]
    take_profit: Mapped[Decimal | None]
    exit_ts: Mapped[datetime | None]
    exit_px: Mapped[Decimal | None]
    close_reason: Mapped[str | None] = mapped_column(String(16))
    realized_pnl: Mapped[Decimal | None]  # price PnL
    fees: Mapped[Decimal | None]  # negative = paid
    funding: Mapped[Decimal | None]
    net_pnl: Mapped[Decimal | None]
    r_multiple: Mapped[Decimal | None]
    entry_cl_ord_id: Mapped[str | None] = mapped_column(String(32))
    pos_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now()


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("instrument", "ord_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    ord_id: Mapped[str] = mapped_column(String(64))
    cl_ord_id: Mapped[str | None] = mapped_column(String(32), index=True)
    cycle_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("decision_cycles.id", ondelete="SET NULL"), index=True
    )
    trade_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trades.id", ondelete="SET NULL"), index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(4))  # buy | sell
    pos_side: Mapped[str] = mapped_column(String(8))
    ord_type: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(16))  # entry | close | stop_loss | take_profit
    state: Mapped[str] = mapped_column(String(24))
    size: Mapped[Decimal]
    price: Mapped[Decimal | None]
    avg_px: Mapped[Decimal | None]
    filled: Mapped[Decimal]
    fee: Mapped[Decimal]
    pnl: Mapped[Decimal]
    reduce_only: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    sl_trigger_px: Mapped[Decimal | None]
    tp_trigger_px: Mapped[Decimal | None]
    raw: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FillRow(Base):
    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("instrument", "exchange_trade_id"),
        Index("ix_fills_ts", "ts"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    instrument: Mapped[str] = mapped_column(String(32))
    exchange_trade_id: Mapped[str] = mapped_column(String(64))
    ord_id: Mapped[str] = mapped_column(String(64), index=True)
    cl_ord_id: Mapped[str | None] = mapped_column(String(32))
    trade_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trades.id", ondelete="SET NULL"), index=True)
    side: Mapped[str] = mapped_column(String(4))
    pos_side: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal]
    size: Mapped[Decimal]
    fee: Mapped[Decimal]
    pnl: Mapped[Decimal]
    exec_type: Mapped[str] = mapped_column(String(2), nullable=False, server_default="")
    ts: Mapped[datetime]
    created_at: Mapped[datetime] = _now()
    published_at: Mapped[datetime | None]  # put on trade:fills (the outbox mark; None = still to publish)


class PositionHistory(Base):
    __tablename__ = "positions_history"
    __table_args__ = (
        CheckConstraint("side IN ('long', 'short')", name="side"),
        UniqueConstraint("run_id", "instrument", "side", "closed_at"),
        Index("ix_positions_history_closed_at", "closed_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    trade_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trades.id", ondelete="SET NULL"), index=True)
    instrument: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    pos_id: Mapped[str | None] = mapped_column(String(64))
    size: Mapped[Decimal]
    entry_px: Mapped[Decimal]
    exit_px: Mapped[Decimal | None]
    realized_pnl: Mapped[Decimal]
    fees: Mapped[Decimal]
    funding: Mapped[Decimal]
    close_reason: Mapped[str | None] = mapped_column(String(16))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime]
    created_at: Mapped[datetime] = _now()


class PlaybookVersion(Base):
    __tablename__ = "playbook_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    parent_version: Mapped[int | None] = mapped_column(Integer, ForeignKey("playbook_versions.version"))
    content: Mapped[dict[str, Any]]
    change_log: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    created_by: Mapped[str] = mapped_column(String(64))  # default | reflection | admin:<id>
    created_at: Mapped[datetime] = _now()


class ReflectionLog(Base):
    __tablename__ = "reflection_logs"
    __table_args__ = (Index("ix_reflection_logs_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    kind: Mapped[str] = mapped_column(String(16))  # post_trade | deep
    trade_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("trades.id", ondelete="SET NULL"), index=True)
    llm_call_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("llm_calls.id", ondelete="SET NULL"))
    model: Mapped[str] = mapped_column(String(64))
    content: Mapped[dict[str, Any]]
    lessons: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    playbook_version_before: Mapped[int | None] = mapped_column(Integer, ForeignKey("playbook_versions.version"))
    playbook_version_after: Mapped[int | None] = mapped_column(Integer, ForeignKey("playbook_versions.version"))
    created_at: Mapped[datetime] = _now()


class ResearchCache(Base):
    __tablename__ = "research_cache"
    __table_args__ = (Index("ix_research_cache_query_hash_retrieved_at", "query_hash", "retrieved_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    query_hash: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    instrument: Mapped[str | None] = mapped_column(String(32))
    trigger: Mapped[str | None] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(64))
    answer: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSONB, nullable=False, server_default=text("'[]'::jsonb"))
    llm_call_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("llm_calls.id", ondelete="SET NULL"))
    cost_usd: Mapped[Decimal] = mapped_column(Money, nullable=False, server_default=text("0"))
    retrieved_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(Tz, index=True)


class PerformanceSnapshot(Base):
    __tablename__ = "performance_snapshots"
    __table_args__ = (UniqueConstraint("run_id", "period", "ts"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    period: Mapped[str] = mapped_column(String(8))  # hour | day | week
    ts: Mapped[datetime]  # end of the period
    equity: Mapped[Decimal]
    realized_pnl: Mapped[Decimal]  # within the period, net of fees and funding
    cumulative_pnl: Mapped[Decimal]
    unrealized_pnl: Mapped[Decimal]
    trades: Mapped[int] = mapped_column(Integer)
    wins: Mapped[int] = mapped_column(Integer)
    losses: Mapped[int] = mapped_column(Integer)
    win_rate: Mapped[Decimal | None]
    profit_factor: Mapped[Decimal | None]
    sharpe: Mapped[Decimal | None]
    max_drawdown_pct: Mapped[Decimal | None]
    llm_cost_usd: Mapped[Decimal]
    created_at: Mapped[datetime] = _now()


class AccountSnapshot(Base):
    """Equity over time (ws-private and backtests write it): the equity curve and drawdown source."""

    __tablename__ = "account_snapshots"
    __table_args__ = (UniqueConstraint("run_id", "ts"), Index("ix_account_snapshots_ts", "ts"),
                      Index("ix_account_snapshots_run_id_equity", "run_id", "equity"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    ts: Mapped[datetime]
    equity: Mapped[Decimal]
    available: Mapped[Decimal]
    frozen: Mapped[Decimal]
    upl: Mapped[Decimal]


class BotStateEvent(Base):
    __tablename__ = "bot_state_events"
    __table_args__ = (Index("ix_bot_state_events_ts", "ts"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = _run_id()
    ts: Mapped[datetime]
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(64))  # risk_gate | telegram:<user id> | cli | system
    reason: Mapped[str] = mapped_column(Text)
    until: Mapped[datetime | None]  # cooldown end
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))


TABLES_READ_BY_GRAFANA = tuple(sorted(Base.metadata.tables))
