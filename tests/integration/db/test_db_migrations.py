"""The migrations build, from nothing, exactly the schema the models describe."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from vigil.db.migrate import current_revision, head_revision, upgrade
from vigil.db.session import Database
from vigil.db.tables import (
    AlertStatus,
    AuditOutcome,
    Base,
    Role,
    RuleSource,
    ZoneKind,
)
from vigil.model.messages import CameraState

PARTITION = re.compile(r"^events_(default|y\d{4}m\d{2})$")
TABLES = {
    "cameras",
    "events",
    "alerts",
    "face_embeddings",
    "users",
    "alert_rules",
    "perimeter_zones",
    "audit_log",
    "segments",
    "system_state",
}


def _diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "include_name": lambda name, type_, parents: (
                not (type_ == "table" and name is not None and PARTITION.match(name))
            ),
            "autogenerate_plugins": [
                "alembic.autogenerate.*",
                "alembic.ext.checkconstraint_byname",
            ],
        },
    )
    return list(compare_metadata(context, Base.metadata))


def _scalars(db: Database, sql: str) -> list[Any]:
    with db.engine.connect() as conn:
        return list(conn.execute(text(sql)).scalars())


def test_upgrade_from_empty_then_again_is_a_no_op(empty_db_url: str) -> None:
    assert current_revision(empty_db_url) is None
    upgrade(empty_db_url)
    head = head_revision()
    assert head is not None and current_revision(empty_db_url) == head
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert _diff(conn) == []


def test_schema_comparison_notices_drift(db: Database) -> None:
    """Guards the test above against comparing nothing."""
    with db.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_segments_camera_id_start_at"))
        conn.execute(text("ALTER TABLE cameras ALTER COLUMN fps TYPE real"))
        conn.execute(text("ALTER TABLE users DROP CONSTRAINT ck_users_role"))
    with db.engine.connect() as conn:
        kinds = sorted(str(d[0][0] if isinstance(d, list) else d[0]) for d in _diff(conn))
    # (a CHECK whose SQL changed but kept its name goes unseen: next test covers contents)
    assert kinds == ["add_constraint", "add_index", "modify_type"]


def test_tables_indexes_functions_and_triggers_exist(db: Database) -> None:
    tables = _scalars(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    # The reference tables, plus whatever later stages added: exactly the models' tables.
    assert set(Base.metadata.tables) >= TABLES
    assert set(Base.metadata.tables) | {"events_default", "alembic_version"} == set(tables)
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        )
        indexes: dict[str, str] = {row[0]: row[1] for row in rows}
    model_indexes = {ix.name for table in Base.metadata.tables.values() for ix in table.indexes}
    assert model_indexes <= set(indexes)
    assert indexes["ix_face_embeddings_embedding_hnsw"].endswith(
        "USING hnsw (embedding vector_cosine_ops) WITH (m='32', ef_construction='128')"
    )
    assert indexes["ix_events_camera_id_occurred_at"].endswith("(camera_id, occurred_at DESC)")
    assert indexes["ix_events_type_occurred_at"].endswith("(type, occurred_at DESC)")
    assert indexes["ix_alerts_status_created_at"].endswith("(status, created_at DESC)")
    assert indexes["ix_alerts_camera_id_created_at"].endswith("(camera_id, created_at DESC)")
    assert "UNIQUE INDEX uq_users_username_lower" in indexes["uq_users_username_lower"]
    assert indexes["uq_users_username_lower"].endswith("(lower(username))")
    functions = _scalars(db, "SELECT proname FROM pg_proc WHERE proname LIKE 'vigil_%'")
    assert set(functions) == {"vigil_ensure_event_partitions", "vigil_audit_log_append_only"}
    triggers = _scalars(
        db, "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_log_append_only'"
    )
    assert triggers == ["A"]  # fires always, even with session_replication_role = replica


def test_every_timestamp_is_timestamptz(db: Database) -> None:
    types = _scalars(
        db,
        "SELECT DISTINCT data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'"
        " AND (data_type LIKE 'timestamp%' OR column_name LIKE '%_at')",
    )
    assert types == ["timestamp with time zone"]


def test_events_is_range_partitioned_by_occurred_at(db: Database) -> None:
    strategy = _scalars(db, "SELECT pg_get_partkeydef('events'::regclass)")
    assert strategy == ["RANGE (occurred_at)"]
    default = _scalars(
        db,
        "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'events_default'",
    )
    assert default == ["DEFAULT"]


def test_downgrade_to_base_and_up_again(empty_db_url: str) -> None:
    from alembic import command

    from vigil.db.migrate import alembic_config

    upgrade(empty_db_url)
    command.downgrade(alembic_config(empty_db_url), "base")
    assert current_revision(empty_db_url) is None
    engine = create_engine(empty_db_url)
    with engine.connect() as conn:
        left = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables"
                " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).scalar_one()
    engine.dispose()
    assert left == 0
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()


@pytest.mark.parametrize(
    ("table", "column", "allowed"),
    [
        ("alerts", "status", AlertStatus),
        ("users", "role", Role),
        ("cameras", "state", CameraState),
        ("alert_rules", "source", RuleSource),
        ("perimeter_zones", "kind", ZoneKind),
        ("audit_log", "outcome", AuditOutcome),
    ],
)
def test_check_constraints_allow_exactly_the_enum_values(
    db: Database, table: str, column: str, allowed: type[StrEnum]
) -> None:
    with db.engine.connect() as conn:
        definition = conn.execute(
            text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n"),
            {"n": f"ck_{table}_{column}"},
        ).scalar_one()
    # PostgreSQL shows `col IN (...)` as CHECK ((col = ANY (ARRAY['a'::text, ...])))
    assert definition.startswith(f"CHECK (({column} = ANY")
    assert re.findall(r"'([^']*)'::text", definition) == [v.value for v in allowed]
