"""Database.session: the caller commits; errors roll back; nothing commits by itself."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from vigil.db.session import Database
from vigil.db.tables import SystemState, User
from vigil.errors import DatabaseError


def _count(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(SystemState)) or 0


def test_session_never_commits_by_itself(db: Database) -> None:
    with db.session() as session:
        session.add(SystemState(key="admin_bootstrap_done", value=True))
        session.flush()
    assert _count(db) == 0


def test_session_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.session() as session:
        session.add(SystemState(key="k", value={"a": 1}))
        session.flush()
        raise RuntimeError("boom")
    assert _count(db) == 0


def test_committed_rows_stay_usable_after_the_session(db: Database) -> None:
    with db.session() as session:
        state = SystemState(key="k", value={"a": [1, 2]})
        session.add(state)
        session.commit()
    assert state.value == {"a": [1, 2]} and state.updated_at.tzinfo is not None


def test_usernames_are_unique_regardless_of_case(db: Database) -> None:
    with db.session() as session:
        session.add(User(username="Alice", password_hash="x", role="admin"))
        session.commit()
    with db.session() as session, pytest.raises(IntegrityError, match="uq_users_username_lower"):
        session.add(User(username="alice", password_hash="y", role="viewer"))
        session.commit()


def test_ping_reports_an_unreachable_database() -> None:
    db = Database("postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(DatabaseError, match="unavailable") as caught:
        db.ping()
    assert "secret" not in caught.value.detail
    db.dispose()


def test_statements_have_a_server_side_timeout(db: Database) -> None:
    """statement_timeout is set on every connection: a statement that runs too long is
    cancelled by the server (None: no limit, for bulk work)."""
    url = db.engine.url.render_as_string(hide_password=False)
    bounded = Database(url, statement_timeout_s=1.0)
    unbounded = Database(url, statement_timeout_s=None)
    try:
        with bounded.session() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "1s"
            started = time.monotonic()
            with pytest.raises(OperationalError, match="statement timeout"):
                session.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 3
        with unbounded.session() as session:
            assert session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    finally:
        bounded.dispose()
        unbounded.dispose()
