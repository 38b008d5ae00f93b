"""Edge state at the hub, shared by its replicas (issue 8).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "edges",
        sa.Column("edge_id", sa.Text(), primary_key=True),
        sa.Column("last_seen", TSTZ, nullable=False),
        sa.Column("beat_at", TSTZ, nullable=False),
        sa.Column("stream_count", sa.Integer(), nullable=False),
        sa.Column("disk_free_bytes", sa.BigInteger(), nullable=False),
        sa.Column("mem_usage_percent", sa.Double(), nullable=False),
        sa.Column("queue_depth", sa.Integer(), nullable=True),
        sa.Column("offline_alert_key", sa.Text(), nullable=True),
        sa.Column("offline_since", TSTZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("edges")
