"""Test databases: copies of the migrated template made by the `db_template` fixture."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from vigil.db.admin import create_database, database_url
from vigil.db.session import Database


@contextmanager
def template_copy(
    pg_url: str, template: str, prefix: str, release: Callable[[str], None]
) -> Iterator[Database]:
    """A new database `<prefix>_<random>` copied from `template` (about 0.2 s); on exit its
    pool is closed and `release(name)` drops it (now, or later)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    create_database(pg_url, name, template=template)
    database = Database(database_url(pg_url, name))
    try:
        yield database
    finally:
        database.dispose()
        release(name)
