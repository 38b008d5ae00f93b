"""Initial schema: cameras, events (monthly partitions), alerts, face embeddings, users,
rules, zones, audit log (append-only), recording segments, system state.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written by hand and kept independent of `vigil.db.tables` (which will change); a test checks
that the two describe the same schema.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSTZ = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())
EMPTY_OBJECT = sa.text("'{}'::jsonb")
NOW = sa.text("now()")


def _created() -> sa.Column[object]:
    return sa.Column("created_at", TSTZ, server_default=NOW, nullable=False)


def _updated() -> sa.Column[object]:
    return sa.Column("updated_at", TSTZ, server_default=NOW, nullable=False)


def _text(name: str, *, null: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Text(), nullable=null)


ENSURE_EVENT_PARTITIONS = """
CREATE FUNCTION vigil_ensure_event_partitions(from_month date, months integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    first_month date := date_trunc('month', from_month)::date;
    m date;
    lower_bound timestamptz;
    upper_bound timestamptz;
    lower_sql text;
    upper_sql text;
    part text;
    created integer := 0;
BEGIN
    IF months IS NULL OR months < 1 THEN
        RAISE EXCEPTION 'vigil_ensure_event_partitions: months must be at least 1, got %',
            months;
    END IF;
    FOR i IN 0 .. months - 1 LOOP
        m := (first_month + make_interval(months => i))::date;
        part := format('events_y%sm%s', to_char(m, 'YYYY'), to_char(m, 'MM'));
        CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
        -- Months are UTC months. Bounds are written as ISO literals with an explicit offset
        -- so they do not depend on the session's TimeZone or DateStyle.
        lower_bound := m::timestamp AT TIME ZONE 'UTC';
        upper_bound := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
        lower_sql := to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00';
        upper_sql := to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00';
        -- Hold back event inserts until the partition is attached, so no row of this month
        -- can slip into the default partition meanwhile (reads go on). Then look again: a
        -- concurrent caller may have created it while we waited for the lock.
        LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE;
        CONTINUE WHEN to_regclass(quote_ident(part)) IS NOT NULL;
        IF EXISTS (SELECT 1 FROM events_default
                   WHERE occurred_at >= lower_bound AND occurred_at < upper_bound) THEN
            -- PostgreSQL refuses to create a partition while the default partition holds
            -- rows that belong in it: build a plain table, move the rows, then attach it.
            EXECUTE format(
                'CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
            EXECUTE format(
                'WITH moved AS (DELETE FROM events_default'
                ' WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *)'
                ' INSERT INTO %I SELECT * FROM moved', part)
                USING lower_bound, upper_bound;
            EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                           part, lower_sql, upper_sql);
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES FROM (%L) TO (%L)',
                           part, lower_sql, upper_sql);
        END IF;
        created := created + 1;
    END LOOP;
    RETURN created;
END
$fn$
"""

AUDIT_APPEND_ONLY = """
CREATE FUNCTION vigil_audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Audit records can only be inserted.';
END
$fn$
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    _cameras()
    _events()
    _alerts()
    _face_embeddings()
    _users()
    _rules_and_zones()
    _audit_log()
    _segments_and_state()


def _cameras() -> None:
    op.create_table(
        "cameras",
        _text("id"),
        _text("name"),
        sa.Column("channel", sa.Integer(), nullable=False),
        sa.Column("stream", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("state", sa.Text(), server_default=sa.text("'connecting'"), nullable=False),
        _text("state_detail", null=True),
        sa.Column("last_frame_at", TSTZ, nullable=True),
        sa.Column("last_state_change_at", TSTZ, nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("fps", sa.Double(), nullable=True),
        _created(),
        _updated(),
        sa.CheckConstraint(
            "state IN ('connecting', 'online', 'reconnecting', 'offline', 'auth_failed', "
            "'disabled')",
            name=op.f("ck_cameras_state"),
        ),
        sa.CheckConstraint("stream IN (0, 1)", name=op.f("ck_cameras_stream")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cameras")),
    )


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", TSTZ, nullable=False),
        _text("camera_id"),
        _text("type"),
        _text("severity"),
        _text("rule_id", null=True),
        _text("zone_id", null=True),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("bbox", JSONB, nullable=True),
        _text("snapshot_key", null=True),
        _text("clip_key", null=True),
        sa.Column("data", JSONB, server_default=EMPTY_OBJECT, nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", "occurred_at", name=op.f("pk_events")),
        postgresql_partition_by="RANGE (occurred_at)",
    )
    op.create_index(
        "ix_events_camera_id_occurred_at",
        "events",
        ["camera_id", sa.literal_column("occurred_at DESC")],
    )
    op.create_index(
        "ix_events_type_occurred_at", "events", ["type", sa.literal_column("occurred_at DESC")]
    )
    # Catches every row no monthly partition takes, so an insert never fails.
    op.execute("CREATE TABLE events_default PARTITION OF events DEFAULT")
    op.execute(ENSURE_EVENT_PARTITIONS)


def _alerts() -> None:
    # event_id has no foreign key: events is partitioned (key (id, occurred_at)) and its old
    # partitions are dropped while their alerts stay.
    op.create_table(
        "alerts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=True),
        _text("camera_id"),
        _text("rule_id", null=True),
        _text("type"),
        _text("severity"),
        sa.Column("status", sa.Text(), server_default=sa.text("'new'"), nullable=False),
        _text("title"),
        _text("incident_key"),
        _created(),
        _updated(),
        sa.Column("acknowledged_at", TSTZ, nullable=True),
        _text("acknowledged_by", null=True),
        sa.Column("resolved_at", TSTZ, nullable=True),
        _text("resolved_by", null=True),
        _text("snapshot_key", null=True),
        sa.Column("data", JSONB, server_default=EMPTY_OBJECT, nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'acknowledged', 'resolved')", name=op.f("ck_alerts_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("incident_key", name=op.f("uq_alerts_incident_key")),
    )
    op.create_index(
        "ix_alerts_status_created_at", "alerts", ["status", sa.literal_column("created_at DESC")]
    )
    op.create_index(
        "ix_alerts_camera_id_created_at",
        "alerts",
        ["camera_id", sa.literal_column("created_at DESC")],
    )


def _face_embeddings() -> None:
    op.create_table(
        "face_embeddings",
        sa.Column("id", sa.UUID(), nullable=False),
        _text("camera_id"),
        sa.Column("track_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.UUID(), nullable=True),
        sa.Column("captured_at", TSTZ, nullable=False),
        sa.Column("embedding", Vector(512), nullable=False),
        sa.Column("quality", sa.Double(), nullable=True),
        _text("snapshot_key", null=True),
        sa.Column("person_id", sa.UUID(), nullable=True),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_embeddings")),
    )
    op.create_index(
        "ix_face_embeddings_embedding_hnsw",
        "face_embeddings",
        ["embedding"],
        postgresql_using="hnsw",
        postgresql_with={"m": 16, "ef_construction": 64},
        postgresql_ops={"embedding": "vector_cosine_ops"},
    )


def _users() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        _text("username"),
        _text("password_hash"),
        _text("role"),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _text("mfa_secret", null=True),
        _created(),
        _updated(),
        sa.Column("last_login_at", TSTZ, nullable=True),
        sa.Column("failed_logins", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("locked_until", TSTZ, nullable=True),
        sa.CheckConstraint("role IN ('admin', 'operator', 'viewer')", name=op.f("ck_users_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(
        "uq_users_username_lower", "users", [sa.literal_column("lower(username)")], unique=True
    )


def _rules_and_zones() -> None:
    op.create_table(
        "alert_rules",
        _text("id"),
        _text("name"),
        _text("type"),
        _text("camera_id", null=True),
        _text("zone_id", null=True),
        sa.Column("schedule", JSONB, server_default=EMPTY_OBJECT, nullable=False),
        sa.Column("params", JSONB, server_default=EMPTY_OBJECT, nullable=False),
        _text("severity"),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        _text("source"),
        _created(),
        _updated(),
        sa.CheckConstraint("source IN ('config', 'api')", name=op.f("ck_alert_rules_source")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    op.create_table(
        "perimeter_zones",
        _text("id"),
        _text("camera_id"),
        _text("name"),
        _text("kind"),
        sa.Column("polygon", JSONB, nullable=False),
        _text("criticality"),
        _created(),
        _updated(),
        sa.CheckConstraint("kind IN ('zone', 'line')", name=op.f("ck_perimeter_zones_kind")),
        sa.PrimaryKeyConstraint("camera_id", "id", name=op.f("pk_perimeter_zones")),
    )


def _audit_log() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("at", TSTZ, server_default=NOW, nullable=False),
        _text("actor", null=True),
        _text("ip", null=True),
        _text("action"),
        _text("resource", null=True),
        _text("outcome"),
        sa.Column("details", JSONB, server_default=EMPTY_OBJECT, nullable=False),
        sa.CheckConstraint(
            "outcome IN ('success', 'failure', 'denied')", name=op.f("ck_audit_log_outcome")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.execute(AUDIT_APPEND_ONLY)
    # One statement trigger refuses all three, even when no row would be touched.
    op.execute(
        "CREATE TRIGGER audit_log_append_only"
        " BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION vigil_audit_log_append_only()"
    )
    # ALWAYS: also fires under session_replication_role = replica, a common way to skip
    # triggers. A superuser can still drop it; this guards against mistakes, not the DBA.
    op.execute("ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only")


def _segments_and_state() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        _text("camera_id"),
        _text("key"),
        sa.Column("start_at", TSTZ, nullable=False),
        sa.Column("end_at", TSTZ, nullable=False),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
        sa.UniqueConstraint("key", name=op.f("uq_segments_key")),
    )
    op.create_index("ix_segments_camera_id_start_at", "segments", ["camera_id", "start_at"])
    op.create_table(
        "system_state",
        _text("key"),
        sa.Column("value", JSONB, nullable=False),
        _updated(),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_system_state")),
    )


def downgrade() -> None:
    for table in (
        "system_state",
        "segments",
        "audit_log",
        "perimeter_zones",
        "alert_rules",
        "users",
        "face_embeddings",
        "alerts",
        "events",  # drops its partitions too
        "cameras",
    ):
        op.drop_table(table)
    op.execute("DROP FUNCTION vigil_audit_log_append_only()")
    op.execute("DROP FUNCTION vigil_ensure_event_partitions(date, integer)")
    # The vector extension stays: other schemas in the database may use it.
