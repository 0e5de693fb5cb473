"""provisional revisions; installments.confirmed_at

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 06:46:00

Issue 7: a suspect first copy of a new installment is kept as a provisional revision that the first
healthy copy replaces (revisions.provisional); the report announces an installment as new when it
got healthy content (installments.confirmed_at), not when its broken copy arrived.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("installments") as batch:
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(), nullable=True))
        batch.create_index("ix_installments_confirmed_at", ["confirmed_at"], unique=False)
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(
            sa.Column("provisional", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Every installment stored so far was recorded from a healthy copy.
    op.execute("UPDATE installments SET confirmed_at = first_seen")


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("provisional")
    with op.batch_alter_table("installments") as batch:
        batch.drop_index("ix_installments_confirmed_at")
        batch.drop_column("confirmed_at")
