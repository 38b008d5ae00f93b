"""Schema for issue 6 (API security): refresh-token families, API keys, per-camera scoping,
MFA recovery codes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)
UUID = postgresql.UUID(as_uuid=True)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("mfa_enabled", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )
    op.add_column(
        "users",
        sa.Column(
            "recovery_codes",
            postgresql.JSONB(astext_type=sa.Text()),
            nullable=False,
            server_default=sa.text("'[]'::jsonb"),
        ),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("jti", sa.Text(), primary_key=True),
        sa.Column("family_id", UUID, nullable=False),
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("issued_at", TSTZ, nullable=False),
        sa.Column("expires_at", TSTZ, nullable=False),
        sa.Column("used_at", TSTZ, nullable=True),
        sa.Column("revoked_at", TSTZ, nullable=True),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_table(
        "api_keys",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("prefix", sa.Text(), nullable=False, unique=True),
        sa.Column("key_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False, server_default=sa.text("'operator'")),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column("created_at", TSTZ, nullable=False, server_default=sa.text("now()")),
        sa.Column("last_used_at", TSTZ, nullable=True),
        sa.Column("revoked_at", TSTZ, nullable=True),
    )
    op.create_table(
        "user_cameras",
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("camera_id", sa.Text(), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("user_cameras")
    op.drop_table("api_keys")
    op.drop_index("ix_refresh_tokens_family_id", table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_column("users", "recovery_codes")
    op.drop_column("users", "mfa_enabled")
