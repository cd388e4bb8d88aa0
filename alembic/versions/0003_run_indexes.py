"""Indexes for what every cycle reads per run: the screener's 24 h pass rate (`screener_logs` by
run and time) and the peak equity (`account_snapshots`' highest equity of a run), which otherwise
scan a run's whole history and slow down as it grows (a backtest over years, a live bot over months).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_screener_logs_run_id_ts", "screener_logs", ["run_id", "ts"], unique=False)
    op.create_index("ix_account_snapshots_run_id_equity", "account_snapshots", ["run_id", "equity"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_account_snapshots_run_id_equity", table_name="account_snapshots")
    op.drop_index("ix_screener_logs_run_id_ts", table_name="screener_logs")
