"""Cameras added and edited from the dashboard (issue 7).

`cameras` gains where a camera comes from (`source`: config = site.yaml, api = the API) and
where site.yaml defines it, the encrypted RTSP URL of an API camera that has its own (a Fernet
token; the key lives in the data directory's keys/, never in the database) and its display
shape. An API camera with its own URL has no DVR channel, so `channel` becomes nullable.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = "source IN ('config', 'api')"


def upgrade() -> None:
    # Every row so far was written from site.yaml (sync_cameras), hence the default.
    op.add_column(
        "cameras",
        sa.Column("source", sa.Text(), server_default=sa.text("'config'"), nullable=False),
    )
    op.add_column("cameras", sa.Column("defined_in", sa.Text(), nullable=True))
    op.add_column("cameras", sa.Column("url_encrypted", sa.Text(), nullable=True))
    op.add_column(
        "cameras",
        sa.Column("display_aspect", sa.Text(), server_default=sa.text("'auto'"), nullable=False),
    )
    op.create_check_constraint(op.f("ck_cameras_source"), "cameras", SOURCES)
    op.alter_column("cameras", "channel", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # API cameras cannot be expressed without these columns (a URL camera has no channel).
    op.execute("DELETE FROM cameras WHERE source = 'api'")
    op.alter_column("cameras", "channel", existing_type=sa.Integer(), nullable=False)
    op.drop_constraint(op.f("ck_cameras_source"), "cameras", type_="check")
    op.drop_column("cameras", "display_aspect")
    op.drop_column("cameras", "url_encrypted")
    op.drop_column("cameras", "defined_in")
    op.drop_column("cameras", "source")
