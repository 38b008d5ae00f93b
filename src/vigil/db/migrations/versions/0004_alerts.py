"""Schema for issue 5: rules, alert lifecycle, notifications (analytics, alerts).

Alerts gain assignment and escalation columns; alert notes; notification deliveries (their
dead letters are the rows with status 'dead').

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.add_column("alerts", sa.Column("assigned_to", sa.Text(), nullable=True))
    op.add_column("alerts", sa.Column("assigned_at", TSTZ, nullable=True))
    op.add_column("alerts", sa.Column("escalated_at", TSTZ, nullable=True))
    op.add_column(
        "alerts",
        sa.Column("escalation_level", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )
    op.create_table(
        "alert_notes",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("alert_id", sa.UUID(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TSTZ, server_default=NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_notes_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notes")),
    )
    op.create_index("ix_alert_notes_alert_id_created_at", "alert_notes", ["alert_id", "created_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("alert_id", sa.UUID(), nullable=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "payload",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("created_at", TSTZ, server_default=NOW, nullable=False),
        sa.Column("updated_at", TSTZ, server_default=NOW, nullable=False),
        sa.Column("sent_at", TSTZ, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'digested', 'dead')",
            name=op.f("ck_notifications_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_status_created_at", "notifications", ["status", "created_at"])


def downgrade() -> None:
    op.drop_table("notifications")
    op.drop_table("alert_notes")
    for column in ("escalation_level", "escalated_at", "assigned_at", "assigned_to"):
        op.drop_column("alerts", column)
