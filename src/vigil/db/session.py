"""Engine and sessions. Services own transactions: they commit; nothing here does."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from vigil.errors import DatabaseError, NotFoundError

_Row = TypeVar("_Row")


class Database:
    """A connection pool to one PostgreSQL database (`postgresql+psycopg://…`).

    Sessions are synchronous: async services call them through `asyncio.to_thread`. Every
    connection runs with `TimeZone=UTC`, so `timestamptz` values come back in UTC.
    """

    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 10) -> None:
        parsed = make_url(url)
        options = " ".join(filter(None, [str(parsed.query.get("options", "")), "-c TimeZone=UTC"]))
        self.engine: Engine = create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            connect_args={"options": options},
        )
        # expire_on_commit=False: services return rows after committing, often to another
        # thread, where lazy refreshes would mean surprise queries.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The URL with any password masked, for logs and messages."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for one unit of work. The caller commits; on an exception the session
        rolls back, and it is always closed. It never commits by itself."""
        session = self._sessions()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def ping(self) -> None:
        """Raise DatabaseError unless the database answers `SELECT 1`."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as err:
            raise DatabaseError(f"database {self.url} is unavailable: {err.orig}") from err

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def row_by_id(
    session: Session, model: type[_Row], row_id: str, what: str, *, for_update: bool = False
) -> _Row:
    """The `model` row whose UUID primary key is `row_id`; NotFoundError("no {what} {row_id}")
    when `row_id` is not a UUID or no row has it."""
    try:
        key = uuid.UUID(row_id)
    except ValueError:
        raise NotFoundError(f"no {what} {row_id}") from None
    row = session.get(model, key, with_for_update=for_update)
    if row is None:
        raise NotFoundError(f"no {what} {row_id}")
    return row
