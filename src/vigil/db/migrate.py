"""Run the Alembic migrations in `vigil.db.migrations` from code (no alembic.ini needed).

For a new revision: `alembic.command.revision(alembic_config(url), message=…, autogenerate=True)`.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from vigil.errors import DatabaseError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: pg_advisory_lock key serialising concurrent upgrades (several hub replicas starting).
_LOCK_KEY = 0x5649_4749_4C  # "VIGIL"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for Vigil's migrations; `url` is used when no connection is given."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        cfg.attributes["url"] = url  # not a main option: '%' in URLs would be interpolated
    return cfg


def head_revision() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as err:
        raise DatabaseError(f"cannot read the schema revision: {err.orig}") from err
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` to `revision`, one transaction per migration.

    Concurrent callers wait on an advisory lock, so only one migrates at a time.
    """
    started = time.monotonic()
    engine = create_engine(url, poolclass=NullPool)
    safe_url = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _LOCK_KEY})
            conn.commit()
            try:
                before = MigrationContext.configure(conn).get_current_revision()
                conn.commit()
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                after = MigrationContext.configure(conn).get_current_revision()
                conn.commit()
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                conn.commit()
    except DBAPIError as err:
        raise DatabaseError(f"migrating {safe_url} failed: {err.orig}") from err
    finally:
        engine.dispose()
    log.info(
        "database schema %s -> %s in %.2f s", before or "empty", after, time.monotonic() - started
    )
