"""Schema for issue 3: recording integrity, retention, heartbeats (edge).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Reserved in order so that parallel work keeps one linear history; empty until issue 3
fills it.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
