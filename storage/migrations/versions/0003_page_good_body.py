"""pages remember their last good body

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 06:45:00

Issue 7: a broken delivery overwrote pages.last_blob_sha, so the page's unchanged good bytes were
parsed again and, when another URL of the installment had changed since, became a revision again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.add_column(sa.Column("good_blob_sha", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("good_body_hash", sa.String(length=64), nullable=True))
        batch.create_foreign_key("fk_pages_good_blob_sha", "blobs", ["good_blob_sha"], ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("pages") as batch:
        batch.drop_constraint("fk_pages_good_blob_sha", type_="foreignkey")
        batch.drop_column("good_body_hash")
        batch.drop_column("good_blob_sha")
