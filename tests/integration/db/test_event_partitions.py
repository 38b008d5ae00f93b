"""Events land in monthly partitions; rows parked in the default partition move out later."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError

from vigil.db.partitions import ensure_event_partitions
from vigil.db.session import Database
from vigil.db.tables import Alert, Event


def _event(when: datetime, **kw: object) -> Event:
    return Event(occurred_at=when, camera_id="cam1", type="zone_intrusion", severity="high", **kw)


def _placement(db: Database) -> list[tuple[str, datetime]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT tableoid::regclass::text, occurred_at FROM events ORDER BY occurred_at")
        )
        return [(r[0], r[1]) for r in rows]


def test_insert_lands_in_its_monthly_partition(db: Database) -> None:
    with db.session() as session:
        assert ensure_event_partitions(session, datetime(2031, 5, 20, tzinfo=UTC)) == 3
        session.commit()
    with db.session() as session:
        session.add(_event(datetime(2031, 6, 30, 23, 59, 59, tzinfo=UTC)))
        session.add(_event(datetime(2031, 7, 1, 0, 0, tzinfo=UTC)))  # first instant of July
        session.commit()
    assert [p for p, _ in _placement(db)] == ["events_y2031m06", "events_y2031m07"]


def test_partition_months_are_utc_months(db: Database) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    with db.session() as session:
        # 1 Aug 03:00 in India is still 31 July in UTC
        ensure_event_partitions(session, datetime(2031, 8, 1, 3, 0, tzinfo=ist), months_ahead=0)
        session.add(_event(datetime(2031, 8, 1, 3, 0, tzinfo=ist)))
        session.commit()
    assert _placement(db) == [("events_y2031m07", datetime(2031, 7, 31, 21, 30, tzinfo=UTC))]


def test_month_without_partition_goes_to_default_then_moves(db: Database) -> None:
    march, april = datetime(2032, 3, 9, 12, tzinfo=UTC), datetime(2032, 4, 2, tzinfo=UTC)
    keep = uuid.uuid4()
    with db.session() as session:
        session.add(_event(march, id=keep, data={"n": 1}, bbox=[0.1, 0.2, 0.3, 0.4]))
        session.add(_event(april))
        session.commit()
    assert [p for p, _ in _placement(db)] == ["events_default", "events_default"]
    with db.session() as session:
        assert ensure_event_partitions(session, march, months_ahead=0) == 1
        session.commit()
    assert [p for p, _ in _placement(db)] == ["events_y2032m03", "events_default"]
    with db.session() as session:
        moved = session.scalars(select(Event).where(Event.id == keep)).one()
        assert (moved.occurred_at, moved.data, moved.bbox) == (
            march,
            {"n": 1},
            [0.1, 0.2, 0.3, 0.4],
        )
        # the moved-into partition has the parent's indexes and primary key
        indexes = session.execute(
            text("SELECT count(*) FROM pg_indexes WHERE tablename = 'events_y2032m03'")
        ).scalar_one()
        assert indexes == 3
        assert ensure_event_partitions(session, march, months_ahead=1) == 1  # April now
        assert ensure_event_partitions(session, march, months_ahead=1) == 0  # idempotent
        session.commit()
    assert [p for p, _ in _placement(db)] == ["events_y2032m03", "events_y2032m04"]


def test_same_event_id_twice_is_refused(db: Database) -> None:
    when, event_id = datetime(2032, 1, 5, tzinfo=UTC), uuid.uuid4()
    with db.session() as session:
        session.add(_event(when, id=event_id))
        session.commit()
    with db.session() as session, pytest.raises(IntegrityError):
        session.add(_event(when, id=event_id))
        session.commit()


def test_naive_datetimes_are_refused(db: Database) -> None:
    with db.session() as session, pytest.raises(StatementError, match="naive datetime"):
        session.add(_event(datetime(2032, 1, 5)))
        session.commit()


def _alert(key: str) -> Alert:
    return Alert(
        camera_id="cam1", type="zone_intrusion", severity="high", title="t", incident_key=key
    )


def test_one_alert_per_incident_key(db: Database) -> None:
    with db.session() as session:
        session.add(_alert("cam1:zone_intrusion:rule1:2031-05-01T10"))
        session.commit()
    with db.session() as session, pytest.raises(IntegrityError, match="uq_alerts_incident_key"):
        session.add(_alert("cam1:zone_intrusion:rule1:2031-05-01T10"))
        session.commit()
    with db.session() as session:
        session.add(_alert("cam1:zone_intrusion:rule1:2031-05-01T11"))
        session.commit()
        alert = session.scalars(select(Alert).where(Alert.incident_key.endswith("T11"))).one()
        assert alert.status == "new" and alert.data == {}
        assert alert.created_at.tzinfo is UTC
