"""Enrolled persons, watchlists and training jobs (issue 6).

Persons and their enrolled faces (512-d, HNSW cosine like face_embeddings), watchlists of
persons per camera set, and training jobs (evaluate, export_dataset) with their progress.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def _created() -> sa.Column[object]:
    return sa.Column("created_at", TSTZ, server_default=NOW, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=False),
        _created(),
        sa.Column("updated_at", TSTZ, server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
    )
    op.create_table(
        "person_faces",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("embedding", Vector(512), nullable=False),
        sa.Column("quality", sa.Double(), nullable=False),
        sa.Column("photo_key", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=True),
        _created(),
        _fk("person_faces", "person_id", "persons"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_faces")),
    )
    op.create_index(
        "ix_person_faces_embedding_hnsw",
        "person_faces",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )
    op.create_index("uq_person_faces_person_id_n", "person_faces", ["person_id", "n"], unique=True)
    op.create_table(
        "watchlists",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("cameras", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        _created(),
        sa.Column("updated_at", TSTZ, server_default=NOW, nullable=False),
        sa.CheckConstraint(
            "severity IN ('info', 'low', 'medium', 'high', 'critical')",
            name=op.f("ck_watchlists_severity"),
        ),
        sa.CheckConstraint(
            "threshold > 0 AND threshold <= 1", name=op.f("ck_watchlists_threshold")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watchlists")),
    )
    op.create_table(
        "watchlist_persons",
        sa.Column("watchlist_id", sa.UUID(), nullable=False),
        sa.Column("person_id", sa.UUID(), nullable=False),
        _fk("watchlist_persons", "watchlist_id", "watchlists"),
        _fk("watchlist_persons", "person_id", "persons"),
        sa.PrimaryKeyConstraint("watchlist_id", "person_id", name=op.f("pk_watchlist_persons")),
    )
    op.create_index("ix_watchlist_persons_person_id", "watchlist_persons", ["person_id"])
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'queued'"), nullable=False),
        sa.Column("progress", sa.Double(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "params",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("artifact_key", sa.Text(), nullable=True),
        sa.Column(
            "cancel_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("created_by", sa.Text(), nullable=False),
        _created(),
        sa.Column("started_at", TSTZ, nullable=True),
        sa.Column("finished_at", TSTZ, nullable=True),
        sa.CheckConstraint(
            "kind IN ('evaluate', 'export_dataset')", name=op.f("ck_training_jobs_kind")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_training_jobs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_jobs")),
    )
    op.create_index("ix_training_jobs_created_at", "training_jobs", ["created_at"])


def downgrade() -> None:
    for table in ("training_jobs", "watchlist_persons", "watchlists", "person_faces", "persons"):
        op.drop_table(table)
