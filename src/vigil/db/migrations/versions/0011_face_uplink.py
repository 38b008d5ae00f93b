"""Faces in creation order, for the edge uplink's cursor over face_embeddings (issue 8).

The uplink takes new faces after its cursor (created_at, id) every few seconds; without this
index each poll would scan the whole table.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_face_embeddings_created_at_id", "face_embeddings", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_face_embeddings_created_at_id", table_name="face_embeddings")
