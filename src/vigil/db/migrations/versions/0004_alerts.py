"""Schema for issue 5: rules, alert lifecycle, notifications (analytics, alerts).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

Reserved in order so that parallel work keeps one linear history; empty until issue 5
fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
