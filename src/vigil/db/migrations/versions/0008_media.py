"""Exported clips with their SHA-256 (issue 7).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clip_exports",
        sa.Column("id", postgresql.UUID(as_uuid=True), primary_key=True),
        sa.Column("camera_id", sa.Text(), nullable=False),
        sa.Column("start_at", TSTZ, nullable=False),
        sa.Column("end_at", TSTZ, nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", TSTZ, nullable=False),
        sa.Column("finished_at", TSTZ, nullable=True),
        sa.Column("object_key", sa.Text(), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
    )
    op.create_index("ix_clip_exports_sha256", "clip_exports", ["sha256"])
    op.create_index(
        "ix_clip_exports_created_by_created_at", "clip_exports", ["created_by", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_clip_exports_created_by_created_at", table_name="clip_exports")
    op.drop_index("ix_clip_exports_sha256", table_name="clip_exports")
    op.drop_table("clip_exports")
