"""Initial schema: every table of docs/architecture.md (Redis and PostgreSQL), plus account_snapshots (the equity curve).

`candles` becomes a TimescaleDB hypertable (7-day chunks, compression after 30 days segmented by
instrument and timeframe, retention of 5 years) when the extension is available on the server, and
stays a plain table with its (instrument, timeframe, ts) primary key and a BRIN index on ts
otherwise. The BRIN index is created in both cases, so the ORM and the schema always agree.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('account_snapshots',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('equity', sa.Numeric(), nullable=False),
    sa.Column('available', sa.Numeric(), nullable=False),
    sa.Column('frozen', sa.Numeric(), nullable=False),
    sa.Column('upl', sa.Numeric(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_snapshots')),
    sa.UniqueConstraint('run_id', 'ts', name=op.f('uq_account_snapshots_run_id_ts'))
    )
    op.create_index(op.f('ix_account_snapshots_run_id'), 'account_snapshots', ['run_id'], unique=False)
    op.create_index('ix_account_snapshots_ts', 'account_snapshots', ['ts'], unique=False)
    op.create_table('bot_state_events',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=24), nullable=True),
    sa.Column('to_state', sa.String(length=24), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_state_events'))
    )
    op.create_index(op.f('ix_bot_state_events_run_id'), 'bot_state_events', ['run_id'], unique=False)
    op.create_index('ix_bot_state_events_ts', 'bot_state_events', ['ts'], unique=False)
    op.create_table('candles',
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('timeframe', sa.String(length=8), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('open', sa.Numeric(), nullable=False),
    sa.Column('high', sa.Numeric(), nullable=False),
    sa.Column('low', sa.Numeric(), nullable=False),
    sa.Column('close', sa.Numeric(), nullable=False),
    sa.Column('volume', sa.Numeric(), nullable=False),
    sa.Column('volume_ccy', sa.Numeric(), nullable=False),
    sa.Column('volume_quote', sa.Numeric(), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('instrument', 'timeframe', 'ts', name='pk_candles')
    )
    op.create_index('ix_candles_ts_brin', 'candles', ['ts'], unique=False, postgresql_using='brin')
    op.create_table('decision_cycles',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('timeline', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('snapshot', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('screener_signal', sa.Boolean(), nullable=True),
    sa.Column('shadow', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('decision', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=True),
    sa.Column('verdict', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.Column('cl_ord_id', sa.String(length=32), nullable=True),
    sa.Column('cost_usd', sa.Numeric(), server_default=sa.text('0'), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision_cycles'))
    )
    op.create_index(op.f('ix_decision_cycles_cl_ord_id'), 'decision_cycles', ['cl_ord_id'], unique=False)
    op.create_index('ix_decision_cycles_instrument_started_at', 'decision_cycles', ['instrument', 'started_at'], unique=False)
    op.create_index(op.f('ix_decision_cycles_run_id'), 'decision_cycles', ['run_id'], unique=False)
    op.create_index('uq_decision_cycles_beat_slot', 'decision_cycles', ['run_id', 'instrument', 'scheduled_for'], unique=True, postgresql_where=sa.text("trigger = 'beat'"))
    op.create_table('performance_snapshots',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('equity', sa.Numeric(), nullable=False),
    sa.Column('realized_pnl', sa.Numeric(), nullable=False),
    sa.Column('cumulative_pnl', sa.Numeric(), nullable=False),
    sa.Column('unrealized_pnl', sa.Numeric(), nullable=False),
    sa.Column('trades', sa.Integer(), nullable=False),
    sa.Column('wins', sa.Integer(), nullable=False),
    sa.Column('losses', sa.Integer(), nullable=False),
    sa.Column('win_rate', sa.Numeric(), nullable=True),
    sa.Column('profit_factor', sa.Numeric(), nullable=True),
    sa.Column('sharpe', sa.Numeric(), nullable=True),
    sa.Column('max_drawdown_pct', sa.Numeric(), nullable=True),
    sa.Column('llm_cost_usd', sa.Numeric(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_snapshots')),
    sa.UniqueConstraint('run_id', 'period', 'ts', name=op.f('uq_performance_snapshots_run_id_period_ts'))
    )
    op.create_index(op.f('ix_performance_snapshots_run_id'), 'performance_snapshots', ['run_id'], unique=False)
    op.create_table('playbook_versions',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('parent_version', sa.Integer(), nullable=True),
    sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('change_log', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['parent_version'], ['playbook_versions.version'], name=op.f('fk_playbook_versions_parent_version_playbook_versions')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_playbook_versions'))
    )
    op.create_table('llm_calls',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('cycle_id', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('prompt_version', sa.String(length=32), nullable=False),
    sa.Column('prompt_hash', sa.String(length=64), nullable=False),
    sa.Column('request', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('response', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('parsed', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('parse_error', sa.Text(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('stop_reason', sa.String(length=32), nullable=True),
    sa.Column('input_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('output_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cache_write_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cache_read_tokens', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('latency_ms', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('cost_usd', sa.Numeric(), server_default=sa.text('0'), nullable=False),
    sa.Column('replayed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['decision_cycles.id'], name=op.f('fk_llm_calls_cycle_id_decision_cycles'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_llm_calls'))
    )
    op.create_index('ix_llm_calls_created_at', 'llm_calls', ['created_at'], unique=False)
    op.create_index(op.f('ix_llm_calls_cycle_id'), 'llm_calls', ['cycle_id'], unique=False)
    op.create_index('ix_llm_calls_model_prompt_hash', 'llm_calls', ['model', 'prompt_hash'], unique=False)
    op.create_index(op.f('ix_llm_calls_run_id'), 'llm_calls', ['run_id'], unique=False)
    op.create_table('risk_rejections',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('cycle_id', sa.String(length=64), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(length=48), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('numbers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('decision', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['decision_cycles.id'], name=op.f('fk_risk_rejections_cycle_id_decision_cycles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_rejections'))
    )
    op.create_index(op.f('ix_risk_rejections_cycle_id'), 'risk_rejections', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_risk_rejections_rule'), 'risk_rejections', ['rule'], unique=False)
    op.create_index(op.f('ix_risk_rejections_run_id'), 'risk_rejections', ['run_id'], unique=False)
    op.create_index('ix_risk_rejections_ts', 'risk_rejections', ['ts'], unique=False)
    op.create_table('trades',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('cycle_id', sa.String(length=64), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('strategy', sa.String(length=64), server_default='', nullable=False),
    sa.Column('regime', sa.String(length=16), nullable=True),
    sa.Column('confidence', sa.Numeric(), nullable=True),
    sa.Column('leverage', sa.Numeric(), nullable=False),
    sa.Column('size', sa.Numeric(), nullable=False),
    sa.Column('notional', sa.Numeric(), nullable=False),
    sa.Column('entry_ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('entry_px', sa.Numeric(), nullable=False),
    sa.Column('stop_loss', sa.Numeric(), nullable=True),
    sa.Column('take_profit', sa.Numeric(), nullable=True),
    sa.Column('exit_ts', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exit_px', sa.Numeric(), nullable=True),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('realized_pnl', sa.Numeric(), nullable=True),
    sa.Column('fees', sa.Numeric(), nullable=True),
    sa.Column('funding', sa.Numeric(), nullable=True),
    sa.Column('net_pnl', sa.Numeric(), nullable=True),
    sa.Column('r_multiple', sa.Numeric(), nullable=True),
    sa.Column('entry_cl_ord_id', sa.String(length=32), nullable=True),
    sa.Column('pos_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("side IN ('long', 'short')", name=op.f('ck_trades_side')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_trades_status')),
    sa.ForeignKeyConstraint(['cycle_id'], ['decision_cycles.id'], name=op.f('fk_trades_cycle_id_decision_cycles'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trades')),
    sa.UniqueConstraint('cycle_id', name=op.f('uq_trades_cycle_id'))
    )
    op.create_index('ix_trades_exit_ts', 'trades', ['exit_ts'], unique=False)
    op.create_index('ix_trades_instrument_entry_ts', 'trades', ['instrument', 'entry_ts'], unique=False)
    op.create_index(op.f('ix_trades_run_id'), 'trades', ['run_id'], unique=False)
    op.create_table('fills',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('exchange_trade_id', sa.String(length=64), nullable=False),
    sa.Column('ord_id', sa.String(length=64), nullable=False),
    sa.Column('cl_ord_id', sa.String(length=32), nullable=True),
    sa.Column('trade_id', sa.BigInteger(), nullable=True),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('pos_side', sa.String(length=8), nullable=False),
    sa.Column('price', sa.Numeric(), nullable=False),
    sa.Column('size', sa.Numeric(), nullable=False),
    sa.Column('fee', sa.Numeric(), nullable=False),
    sa.Column('pnl', sa.Numeric(), nullable=False),
    sa.Column('exec_type', sa.String(length=2), server_default='', nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_fills_trade_id_trades'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fills')),
    sa.UniqueConstraint('instrument', 'exchange_trade_id', name=op.f('uq_fills_instrument_exchange_trade_id'))
    )
    op.create_index(op.f('ix_fills_ord_id'), 'fills', ['ord_id'], unique=False)
    op.create_index(op.f('ix_fills_run_id'), 'fills', ['run_id'], unique=False)
    op.create_index(op.f('ix_fills_trade_id'), 'fills', ['trade_id'], unique=False)
    op.create_index('ix_fills_ts', 'fills', ['ts'], unique=False)
    op.create_table('orders',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('ord_id', sa.String(length=64), nullable=False),
    sa.Column('cl_ord_id', sa.String(length=32), nullable=True),
    sa.Column('cycle_id', sa.String(length=64), nullable=True),
    sa.Column('trade_id', sa.BigInteger(), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('pos_side', sa.String(length=8), nullable=False),
    sa.Column('ord_type', sa.String(length=16), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=True),
    sa.Column('state', sa.String(length=24), nullable=False),
    sa.Column('size', sa.Numeric(), nullable=False),
    sa.Column('price', sa.Numeric(), nullable=True),
    sa.Column('avg_px', sa.Numeric(), nullable=True),
    sa.Column('filled', sa.Numeric(), nullable=False),
    sa.Column('fee', sa.Numeric(), nullable=False),
    sa.Column('pnl', sa.Numeric(), nullable=False),
    sa.Column('reduce_only', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('sl_trigger_px', sa.Numeric(), nullable=True),
    sa.Column('tp_trigger_px', sa.Numeric(), nullable=True),
    sa.Column('raw', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['decision_cycles.id'], name=op.f('fk_orders_cycle_id_decision_cycles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_orders_trade_id_trades'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('instrument', 'ord_id', name=op.f('uq_orders_instrument_ord_id'))
    )
    op.create_index(op.f('ix_orders_cl_ord_id'), 'orders', ['cl_ord_id'], unique=False)
    op.create_index(op.f('ix_orders_cycle_id'), 'orders', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_orders_run_id'), 'orders', ['run_id'], unique=False)
    op.create_index(op.f('ix_orders_trade_id'), 'orders', ['trade_id'], unique=False)
    op.create_table('positions_history',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('trade_id', sa.BigInteger(), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('side', sa.String(length=8), nullable=False),
    sa.Column('pos_id', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Numeric(), nullable=False),
    sa.Column('entry_px', sa.Numeric(), nullable=False),
    sa.Column('exit_px', sa.Numeric(), nullable=True),
    sa.Column('realized_pnl', sa.Numeric(), nullable=False),
    sa.Column('fees', sa.Numeric(), nullable=False),
    sa.Column('funding', sa.Numeric(), nullable=False),
    sa.Column('close_reason', sa.String(length=16), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("side IN ('long', 'short')", name=op.f('ck_positions_history_side')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_positions_history_trade_id_trades'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positions_history')),
    sa.UniqueConstraint('run_id', 'instrument', 'side', 'closed_at', name=op.f('uq_positions_history_run_id_instrument_side_closed_at'))
    )
    op.create_index('ix_positions_history_closed_at', 'positions_history', ['closed_at'], unique=False)
    op.create_index(op.f('ix_positions_history_run_id'), 'positions_history', ['run_id'], unique=False)
    op.create_index(op.f('ix_positions_history_trade_id'), 'positions_history', ['trade_id'], unique=False)
    op.create_table('reflection_logs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('trade_id', sa.BigInteger(), nullable=True),
    sa.Column('llm_call_id', sa.BigInteger(), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('content', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('lessons', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('playbook_version_before', sa.Integer(), nullable=True),
    sa.Column('playbook_version_after', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['llm_call_id'], ['llm_calls.id'], name=op.f('fk_reflection_logs_llm_call_id_llm_calls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['playbook_version_after'], ['playbook_versions.version'], name=op.f('fk_reflection_logs_playbook_version_after_playbook_versions')),
    sa.ForeignKeyConstraint(['playbook_version_before'], ['playbook_versions.version'], name=op.f('fk_reflection_logs_playbook_version_before_playbook_versions')),
    sa.ForeignKeyConstraint(['trade_id'], ['trades.id'], name=op.f('fk_reflection_logs_trade_id_trades'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reflection_logs'))
    )
    op.create_index('ix_reflection_logs_created_at', 'reflection_logs', ['created_at'], unique=False)
    op.create_index(op.f('ix_reflection_logs_run_id'), 'reflection_logs', ['run_id'], unique=False)
    op.create_index(op.f('ix_reflection_logs_trade_id'), 'reflection_logs', ['trade_id'], unique=False)
    op.create_table('research_cache',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('query_hash', sa.String(length=64), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=True),
    sa.Column('trigger', sa.String(length=32), nullable=True),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('sources', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'[]'::jsonb"), nullable=False),
    sa.Column('llm_call_id', sa.BigInteger(), nullable=True),
    sa.Column('cost_usd', sa.Numeric(), server_default=sa.text('0'), nullable=False),
    sa.Column('retrieved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['llm_call_id'], ['llm_calls.id'], name=op.f('fk_research_cache_llm_call_id_llm_calls'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_cache'))
    )
    op.create_index(op.f('ix_research_cache_expires_at'), 'research_cache', ['expires_at'], unique=False)
    op.create_index('ix_research_cache_query_hash_retrieved_at', 'research_cache', ['query_hash', 'retrieved_at'], unique=False)
    op.create_table('screener_logs',
    sa.Column('id', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=64), server_default='live', nullable=False),
    sa.Column('cycle_id', sa.String(length=64), nullable=True),
    sa.Column('llm_call_id', sa.BigInteger(), nullable=True),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('model', sa.String(length=64), nullable=False),
    sa.Column('signal', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('bypass_reason', sa.String(length=64), nullable=True),
    sa.Column('parse_error', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('shadow_analysed', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('analyst_action', sa.String(length=16), nullable=True),
    sa.Column('analyst_agreed', sa.Boolean(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['decision_cycles.id'], name=op.f('fk_screener_logs_cycle_id_decision_cycles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['llm_call_id'], ['llm_calls.id'], name=op.f('fk_screener_logs_llm_call_id_llm_calls'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screener_logs'))
    )
    op.create_index(op.f('ix_screener_logs_cycle_id'), 'screener_logs', ['cycle_id'], unique=False)
    op.create_index(op.f('ix_screener_logs_run_id'), 'screener_logs', ['run_id'], unique=False)
    op.create_index('ix_screener_logs_ts', 'screener_logs', ['ts'], unique=False)
    _timescale_candles()


def downgrade() -> None:
    op.drop_index('ix_screener_logs_ts', table_name='screener_logs')
    op.drop_index(op.f('ix_screener_logs_run_id'), table_name='screener_logs')
    op.drop_index(op.f('ix_screener_logs_cycle_id'), table_name='screener_logs')
    op.drop_table('screener_logs')
    op.drop_index('ix_research_cache_query_hash_retrieved_at', table_name='research_cache')
    op.drop_index(op.f('ix_research_cache_expires_at'), table_name='research_cache')
    op.drop_table('research_cache')
    op.drop_index(op.f('ix_reflection_logs_trade_id'), table_name='reflection_logs')
    op.drop_index(op.f('ix_reflection_logs_run_id'), table_name='reflection_logs')
    op.drop_index('ix_reflection_logs_created_at', table_name='reflection_logs')
    op.drop_table('reflection_logs')
    op.drop_index(op.f('ix_positions_history_trade_id'), table_name='positions_history')
    op.drop_index(op.f('ix_positions_history_run_id'), table_name='positions_history')
    op.drop_index('ix_positions_history_closed_at', table_name='positions_history')
    op.drop_table('positions_history')
    op.drop_index(op.f('ix_orders_trade_id'), table_name='orders')
    op.drop_index(op.f('ix_orders_run_id'), table_name='orders')
    op.drop_index(op.f('ix_orders_cycle_id'), table_name='orders')
    op.drop_index(op.f('ix_orders_cl_ord_id'), table_name='orders')
    op.drop_table('orders')
    op.drop_index('ix_fills_ts', table_name='fills')
    op.drop_index(op.f('ix_fills_trade_id'), table_name='fills')
    op.drop_index(op.f('ix_fills_run_id'), table_name='fills')
    op.drop_index(op.f('ix_fills_ord_id'), table_name='fills')
    op.drop_table('fills')
    op.drop_index(op.f('ix_trades_run_id'), table_name='trades')
    op.drop_index('ix_trades_instrument_entry_ts', table_name='trades')
    op.drop_index('ix_trades_exit_ts', table_name='trades')
    op.drop_table('trades')
    op.drop_index('ix_risk_rejections_ts', table_name='risk_rejections')
    op.drop_index(op.f('ix_risk_rejections_run_id'), table_name='risk_rejections')
    op.drop_index(op.f('ix_risk_rejections_rule'), table_name='risk_rejections')
    op.drop_index(op.f('ix_risk_rejections_cycle_id'), table_name='risk_rejections')
    op.drop_table('risk_rejections')
    op.drop_index(op.f('ix_llm_calls_run_id'), table_name='llm_calls')
    op.drop_index('ix_llm_calls_model_prompt_hash', table_name='llm_calls')
    op.drop_index(op.f('ix_llm_calls_cycle_id'), table_name='llm_calls')
    op.drop_index('ix_llm_calls_created_at', table_name='llm_calls')
    op.drop_table('llm_calls')
    op.drop_table('playbook_versions')
    op.drop_index(op.f('ix_performance_snapshots_run_id'), table_name='performance_snapshots')
    op.drop_table('performance_snapshots')
    op.drop_index('uq_decision_cycles_beat_slot', table_name='decision_cycles', postgresql_where=sa.text("trigger = 'beat'"))
    op.drop_index(op.f('ix_decision_cycles_run_id'), table_name='decision_cycles')
    op.drop_index('ix_decision_cycles_instrument_started_at', table_name='decision_cycles')
    op.drop_index(op.f('ix_decision_cycles_cl_ord_id'), table_name='decision_cycles')
    op.drop_table('decision_cycles')
    op.drop_index('ix_candles_ts_brin', table_name='candles', postgresql_using='brin')
    op.drop_table('candles')
    op.drop_index('ix_bot_state_events_ts', table_name='bot_state_events')
    op.drop_index(op.f('ix_bot_state_events_run_id'), table_name='bot_state_events')
    op.drop_table('bot_state_events')
    op.drop_index('ix_account_snapshots_ts', table_name='account_snapshots')
    op.drop_index(op.f('ix_account_snapshots_run_id'), table_name='account_snapshots')
    op.drop_table('account_snapshots')


def _timescale_candles() -> None:
    bind = op.get_bind()
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'")
    ).scalar()
    if not available:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
    op.execute(
        "SELECT create_hypertable('candles', 'ts', chunk_time_interval => INTERVAL '7 days', "
        "migrate_data => true, if_not_exists => true)"
    )
    op.execute(
        "ALTER TABLE candles SET (timescaledb.compress, "
        "timescaledb.compress_segmentby = 'instrument, timeframe', timescaledb.compress_orderby = 'ts')"
    )
    op.execute("SELECT add_compression_policy('candles', INTERVAL '30 days', if_not_exists => true)")
    op.execute("SELECT add_retention_policy('candles', INTERVAL '5 years', if_not_exists => true)")
