"""Schema for issue 3: recording integrity, retention, heartbeats (edge).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Adds camera_state_changes: the history of each camera's connection state, which recording
integrity quotes as the cause of a gap in the segment index.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "camera_state_changes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("camera_id", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_state_changes")),
    )
    op.create_index(
        "ix_camera_state_changes_camera_id_at", "camera_state_changes", ["camera_id", "at"]
    )


def downgrade() -> None:
    op.drop_index("ix_camera_state_changes_camera_id_at", table_name="camera_state_changes")
    op.drop_table("camera_state_changes")
