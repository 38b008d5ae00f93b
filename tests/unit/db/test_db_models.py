"""The models' metadata says what the brief and the migrations say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from vigil.db.partitions import month_start, partition_name
from vigil.db.tables import AlertStatus, Base, UtcDateTime, one_of

TABLES = {
    "cameras": ["id"],
    "events": ["id", "occurred_at"],
    "alerts": ["id"],
    "face_embeddings": ["id"],
    "users": ["id"],
    "alert_rules": ["id"],
    "perimeter_zones": ["camera_id", "id"],
    "audit_log": ["id"],
    "segments": ["id"],
    "system_state": ["key"],
    "alert_notes": ["id"],  # issue 5
    "notifications": ["id"],  # issue 5
    "refresh_tokens": ["jti"],
    "api_keys": ["id"],
    "user_cameras": ["user_id", "camera_id"],
    "camera_state_changes": ["id"],
    "clip_exports": ["id"],  # issue 7: exported clips and their SHA-256
    "persons": ["id"],  # issue 6: enrolled persons and watchlists
    "person_faces": ["id"],
    "watchlists": ["id"],
    "watchlist_persons": ["watchlist_id", "person_id"],
    "training_jobs": ["id"],
    "edges": ["edge_id"],  # issue 8: edge state at the hub, shared by its replicas
}


def test_tables_and_primary_keys() -> None:
    got = {
        name: [c.name for c in t.primary_key.columns] for name, t in Base.metadata.tables.items()
    }
    assert got == TABLES


def test_every_time_column_is_utc_timestamptz() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, (DateTime, UtcDateTime)) or column.name.endswith("_at"):
                assert isinstance(column.type, UtcDateTime), f"{table.name}.{column.name}"
                assert column.type.impl.timezone  # type: ignore[attr-defined]  # DateTime impl


def test_utc_datetime_refuses_naive_and_normalises_to_utc() -> None:
    kind = UtcDateTime()
    dialect = postgresql.dialect()
    with pytest.raises(ValueError, match="naive"):
        kind.process_bind_param(datetime(2031, 1, 1), dialect)
    ist = timezone(timedelta(hours=5, minutes=30))
    back = kind.process_result_value(datetime(2031, 1, 1, 5, 30, tzinfo=ist), dialect)
    assert back == datetime(2031, 1, 1, tzinfo=UTC) and back.tzinfo is UTC


def test_events_is_partitioned_and_hnsw_index_is_cosine() -> None:
    dialect = postgresql.dialect()
    events = Base.metadata.tables["events"]
    assert "PARTITION BY RANGE (occurred_at)" in str(CreateTable(events).compile(dialect=dialect))
    indexes = {i.name: i for i in Base.metadata.tables["face_embeddings"].indexes}
    hnsw = indexes["ix_face_embeddings_embedding_hnsw"]
    sql = str(CreateIndex(hnsw).compile(dialect=dialect))
    assert "USING hnsw (embedding vector_cosine_ops) WITH (m = 32, ef_construction = 128)" in sql


def test_one_of() -> None:
    assert one_of("status", AlertStatus) == "status IN ('new', 'acknowledged', 'resolved')"


@pytest.mark.parametrize(
    ("when", "month", "name"),
    [
        (datetime(2031, 7, 31, 23, 59, tzinfo=UTC), (2031, 7), "events_y2031m07"),
        # 00:30 on 1 Aug in India is 31 July in UTC
        (
            datetime(2031, 8, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            (2031, 7),
            "events_y2031m07",
        ),
        (datetime(2031, 12, 1, tzinfo=UTC), (2031, 12), "events_y2031m12"),
    ],
)
def test_month_start_and_partition_name(when: datetime, month: tuple[int, int], name: str) -> None:
    first = month_start(when)
    assert (first.year, first.month, first.day) == (*month, 1)
    assert partition_name(first) == name


def test_month_start_refuses_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        month_start(datetime(2031, 1, 1))
