"""the daemon's tables: scheduler_runs, scheduler_lock_holder

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 06:50:00

scheduler/state.py and scheduler/lock.py used to create these with create_all / CREATE TABLE IF
NOT EXISTS; a database where a daemon already ran has them, so each is created only when missing.
APScheduler's own `scheduler_jobs` stays with APScheduler's SQLAlchemyJobStore.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    have = set(sa.inspect(op.get_bind()).get_table_names())
    if "scheduler_runs" not in have:
        op.create_table(
            "scheduler_runs",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("job", sa.String(length=32), nullable=False),
            sa.Column("started", sa.DateTime(timezone=True), nullable=False),
            sa.Column("finished", sa.DateTime(timezone=True), nullable=True),
            sa.Column("status", sa.String(length=16), nullable=False),
            sa.Column("figures", sa.Text(), nullable=True),
            sa.Column("error", sa.Text(), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_scheduler_runs_job", "scheduler_runs", ["job"], unique=False)
    if "scheduler_lock_holder" not in have:
        op.create_table(
            "scheduler_lock_holder",
            sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
            sa.Column("pid", sa.Integer(), nullable=False),
            sa.Column("host", sa.Text(), nullable=False),
            sa.Column("started", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )


def downgrade() -> None:
    op.drop_table("scheduler_lock_holder")
    op.drop_index("ix_scheduler_runs_job", table_name="scheduler_runs")
    op.drop_table("scheduler_runs")
