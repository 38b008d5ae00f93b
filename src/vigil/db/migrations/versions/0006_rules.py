"""Zones and rules edited through the API (issue 6).

`perimeter_zones` gains where a zone comes from (`source`: config or api) and where site.yaml
defines it; `alert_rules` keeps the whole validated rule as `body` (the columns 0001 guessed,
one camera, one zone, a schedule object, were never written and cannot hold a rule's lists).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONB = postgresql.JSONB(astext_type=sa.Text())
EMPTY_OBJECT = sa.text("'{}'::jsonb")
SOURCES = "source IN ('config', 'api')"


def upgrade() -> None:
    # Nothing wrote these tables before this revision; whatever is there is not a usable rule.
    op.execute("DELETE FROM alert_rules")
    op.execute("DELETE FROM perimeter_zones")
    op.add_column("perimeter_zones", sa.Column("source", sa.Text(), nullable=False))
    op.add_column("perimeter_zones", sa.Column("defined_in", sa.Text(), nullable=True))
    op.create_check_constraint(op.f("ck_perimeter_zones_source"), "perimeter_zones", SOURCES)
    for column in ("camera_id", "zone_id", "schedule", "params"):
        op.drop_column("alert_rules", column)
    op.add_column("alert_rules", sa.Column("body", JSONB, nullable=False))
    op.add_column("alert_rules", sa.Column("defined_in", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("alert_rules", "defined_in")
    op.drop_column("alert_rules", "body")
    op.add_column(
        "alert_rules", sa.Column("params", JSONB, server_default=EMPTY_OBJECT, nullable=False)
    )
    op.add_column(
        "alert_rules", sa.Column("schedule", JSONB, server_default=EMPTY_OBJECT, nullable=False)
    )
    op.add_column("alert_rules", sa.Column("zone_id", sa.Text(), nullable=True))
    op.add_column("alert_rules", sa.Column("camera_id", sa.Text(), nullable=True))
    op.drop_constraint(op.f("ck_perimeter_zones_source"), "perimeter_zones", type_="check")
    op.drop_column("perimeter_zones", "defined_in")
    op.drop_column("perimeter_zones", "source")
