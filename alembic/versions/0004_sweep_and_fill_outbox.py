"""What surviving a lost Redis or PostgreSQL needs in the schema:
- a partial index on the cycles without an end: the sweeper (pipeline/sweep.py) looks for them
  every minute, and they are a handful among a table that grows by a row per slot;
- `fills.published_at`, the outbox mark of a fill put on `trade:fills`: a fill is published once
  even when Redis lost its own dedup markers (a restart without its data), and a fill stored but
  not published (a crash or an outage in between) is published by the next catch-up.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("fills", sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE fills SET published_at = created_at")  # fills before this revision were published
    op.create_index("ix_decision_cycles_unfinished", "decision_cycles", ["run_id", "started_at"], unique=False,
                    postgresql_where=sa.text("finished_at IS NULL"))


def downgrade() -> None:
    op.drop_index("ix_decision_cycles_unfinished", table_name="decision_cycles")
    op.drop_column("fills", "published_at")
