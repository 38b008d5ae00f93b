"""Which model made each face vector (issue 13: faces move from FaceNet to SFace).

Vectors of different embedding models are not comparable (FaceNet's 512 numbers and SFace's
128, zero-padded to 512, live in unrelated spaces), so every stored vector now records its
model in `embedding_model`, and searches and watchlists compare only vectors of the current
model. Every row that exists when this runs was made by the only model Vigil had until now,
FaceNet trained on CASIA-WebFace: it is tagged `facenet-casia`. Nothing is deleted: old camera
faces stay listed (not searchable by a new photo), and enrolled persons whose photos were
embedded by the old model are shown as needing re-enrolment.

The column has no default afterwards: whoever stores a vector must say which model made it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_MODEL = "facenet-casia"
_TABLES = ("face_embeddings", "person_faces")


def upgrade() -> None:
    for table in _TABLES:
        # The default tags the existing rows in the same statement; then it goes.
        op.add_column(
            table,
            sa.Column(
                "embedding_model",
                sa.Text(),
                nullable=False,
                server_default=sa.text(f"'{OLD_MODEL}'"),
            ),
        )
        op.alter_column(table, "embedding_model", server_default=None)


def downgrade() -> None:
    for table in _TABLES:
        op.drop_column(table, "embedding_model")
