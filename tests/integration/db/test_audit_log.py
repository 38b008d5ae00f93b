"""audit_log is append-only, enforced by the database itself."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from vigil.db.session import Database
from vigil.db.tables import AuditLog


@pytest.fixture
def audited(db: Database) -> Database:
    with db.session() as session:
        session.add(AuditLog(actor="admin", ip="10.0.0.5", action="login", outcome="success"))
        session.commit()
    return db


def test_insert_and_read(audited: Database) -> None:
    with audited.session() as session:
        row = session.scalars(select(AuditLog)).one()
    assert (row.id, row.actor, row.details) == (1, "admin", {})
    assert row.at.tzinfo is not None


@pytest.mark.parametrize(
    ("sql", "op"),
    [
        ("UPDATE audit_log SET actor = 'mallory'", "UPDATE"),
        ("DELETE FROM audit_log", "DELETE"),
        ("TRUNCATE audit_log", "TRUNCATE"),
        ("DELETE FROM audit_log WHERE false", "DELETE"),  # refused even when nothing matches
    ],
)
def test_changes_are_refused(audited: Database, sql: str, op: str) -> None:
    with audited.engine.connect() as conn:
        with pytest.raises(DBAPIError, match=f"audit_log is append-only: {op} is not allowed"):
            conn.execute(text(sql))
        conn.rollback()
        assert conn.execute(text("SELECT actor FROM audit_log")).scalars().all() == ["admin"]


def test_replica_role_does_not_bypass_the_trigger(audited: Database) -> None:
    with audited.engine.connect() as conn:
        conn.execute(text("SET session_replication_role = replica"))
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))


def test_orm_delete_is_refused(audited: Database) -> None:
    with audited.session() as session, pytest.raises(DBAPIError, match="append-only"):
        session.delete(session.scalars(select(AuditLog)).one())
        session.commit()
