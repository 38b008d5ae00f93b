"""Server-level chores: create, clone and drop databases (outside any transaction)."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, ProgrammingError
from sqlalchemy.pool import NullPool

from vigil.errors import DatabaseError


def database_url(server_url: str, database: str) -> str:
    """`server_url` pointing at another database on the same server."""
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def database_exists(admin_url: str, name: str) -> bool:
    with _autocommit(admin_url) as conn:
        return _exists(conn, name)


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` unless it exists (connecting through `admin_url`)."""
    with _autocommit(admin_url) as conn:
        if _exists(conn, name):
            return
        try:
            conn.execute(text(f"CREATE DATABASE {_quote(conn, name)}"))
        except ProgrammingError as err:
            if not _exists(conn, name):  # else someone created it meanwhile: fine
                raise DatabaseError(f"cannot create database {name!r}: {err.orig}") from err


def create_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    """Create database `name`, as a copy of `template` when given.

    Copying uses STRATEGY FILE_COPY: for the small databases Vigil clones (test templates)
    it is several times faster than the default WAL_LOG.
    """
    with _autocommit(admin_url) as conn:
        sql = f"CREATE DATABASE {_quote(conn, name)}"
        if template is not None:
            sql += f" TEMPLATE {_quote(conn, template)} STRATEGY FILE_COPY"
        try:
            conn.execute(text(sql))
        except DBAPIError as err:
            raise DatabaseError(f"cannot create database {name!r}: {err.orig}") from err


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name` if it exists, disconnecting its sessions first."""
    with _autocommit(admin_url) as conn:
        try:
            conn.execute(text(f"DROP DATABASE IF EXISTS {_quote(conn, name)} WITH (FORCE)"))
        except DBAPIError as err:
            raise DatabaseError(f"cannot drop database {name!r}: {err.orig}") from err


class _autocommit:
    """A single autocommit connection (CREATE/DROP DATABASE refuse transactions)."""

    def __init__(self, url: str) -> None:
        self._engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self._conn = self._engine.connect()
        except DBAPIError as err:
            safe = self._engine.url.render_as_string(hide_password=True)
            raise DatabaseError(f"cannot connect to {safe}: {err.orig}") from err
        return self._conn

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
        self._engine.dispose()


def _exists(conn: Connection, name: str) -> bool:
    row = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    return row.first() is not None


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)
