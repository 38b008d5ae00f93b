"""Engine and sessions. Services own transactions: they commit; nothing here does."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final, TypeVar

import psycopg
from psycopg.abc import PQGen
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from vigil.errors import DatabaseError, NotFoundError
from vigil.ops.health import ComponentHealth

_Row = TypeVar("_Row")
_RV = TypeVar("_RV")
# How long past its own statement_timeout a statement may wait for the server's answer
# (the server cancels it at statement_timeout; past this it cannot answer at all).
_SERVER_GRACE_S: Final = 5.0


class _BoundedConnection(psycopg.Connection[Any]):
    """psycopg's connection with a client-side bound on every round trip.

    PostgreSQL enforces statement_timeout itself, but a server that does not answer at all
    (a frozen host or process, a lost network path: the kernel may still ack our packets)
    would leave a call waiting on its socket forever, with its thread and its request. Each
    wait here gives up after `round_trip_timeout_s`, closes the connection (SQLAlchemy then
    sees a disconnect and discards it) and raises OperationalError.
    """

    round_trip_timeout_s: float | None = None

    def wait(self, gen: PQGen[_RV], interval: float = 0.1, timeout: float | None = None) -> _RV:
        limit = timeout if timeout is not None else self.round_trip_timeout_s
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.errors._WaitTimeout as err:  # psycopg's own timeout of this wait
            if timeout is not None:  # psycopg asked for that bound: it handles it
                raise
            self.close()  # mid-protocol: unusable
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} s; connection closed"
            ) from err


class Database:
    """A connection pool to one PostgreSQL database (`postgresql+psycopg://…`).

    Sessions are synchronous: async services call them through `asyncio.to_thread`. Every
    connection runs with `TimeZone=UTC`, so `timestamptz` values come back in UTC.

    Every wait is bounded: connecting by `connect_timeout_s`, a statement by the server's
    `statement_timeout` (`statement_timeout_s`; None: no limit, for bulk work such as index
    builds) and on our side by that plus a grace, as are commits and rollbacks; the pool's
    pings by `connect_timeout_s`, and waiting for a free pooled connection by twice that. A
    database that does not answer thus fails a request with OperationalError (the API's 503)
    in bounded time instead of holding its thread.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 5,
        max_overflow: int = 10,
        connect_timeout_s: float = 5.0,
        statement_timeout_s: float | None = 30.0,
    ) -> None:
        parsed = make_url(url)
        options = " ".join(
            filter(
                None,
                [
                    str(parsed.query.get("options", "")),
                    "-c TimeZone=UTC",
                    f"-c statement_timeout={round((statement_timeout_s or 0) * 1000)}",
                ],
            )
        )
        connect_s = max(2, math.ceil(connect_timeout_s))  # libpq counts whole seconds, >= 2
        self.engine: Engine = create_engine(
            parsed,
            pool_pre_ping=True,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_timeout=2 * connect_timeout_s,
            connect_args={"options": options, "connect_timeout": connect_s},
        )
        _bound_round_trips(
            self.engine,
            connect_timeout_s,
            None if statement_timeout_s is None else statement_timeout_s + _SERVER_GRACE_S,
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


def _bound_round_trips(engine: Engine, ping_s: float, statement_s: float | None) -> None:
    """Connections are `_BoundedConnection`s: `ping_s` while idle or pinged by the pool,
    `statement_s` (None: unbounded) while a statement, a commit or a rollback runs."""

    @event.listens_for(engine, "do_connect")
    def connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> _BoundedConnection:
        conn = _BoundedConnection.connect(*cargs, **cparams)
        conn.round_trip_timeout_s = ping_s
        return conn

    def limit(dbapi_connection: Any, seconds: float | None) -> None:
        if isinstance(dbapi_connection, _BoundedConnection):
            dbapi_connection.round_trip_timeout_s = seconds

    def working(conn: Any, *_args: Any) -> None:
        limit(conn.connection.dbapi_connection, statement_s)

    def idle(dbapi_connection: Any, *_args: Any) -> None:
        limit(dbapi_connection, ping_s)

    # commit and rollback fire before the DBAPI call; a connection back in the pool is idle.
    for name in ("before_cursor_execute", "commit", "rollback"):
        event.listen(engine, name, working)
    event.listen(engine, "checkin", idle)


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


def database_health(db: Database) -> ComponentHealth:
    """One `SELECT 1`: down (with the error's type, never its text: it may hold the URL)."""
    try:
        with db.session() as session:
            session.execute(text("SELECT 1"))
    except Exception as err:
        return ComponentHealth("down", f"database unreachable: {type(err).__name__}")
    return ComponentHealth("ok")
