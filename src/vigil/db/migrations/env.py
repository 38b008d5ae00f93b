"""Alembic environment: run by `vigil.db.migrate` with a connection, or by the alembic CLI."""

from __future__ import annotations

import re

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from vigil.db.tables import Base

#: Monthly and default partitions of `events`: created by SQL, not by the models.
PARTITION = re.compile(r"^events_(default|y\d{4}m\d{2})$")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return not (type_ == "table" and name is not None and PARTITION.match(name))


def _configure(**kwargs: object) -> None:
    context.configure(
        target_metadata=Base.metadata,
        include_name=include_name,
        compare_type=True,
        # also compare CHECK constraints (by name, then by their SQL)
        autogenerate_plugins=["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
        transaction_per_migration=True,
        **kwargs,  # type: ignore[arg-type]  # forwarded verbatim to alembic
    )


def run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
        with context.begin_transaction():
            context.run_migrations()
    elif connection is not None:
        run_with(connection)
    else:
        engine = create_engine(str(url), poolclass=NullPool)
        with engine.connect() as conn:
            run_with(conn)
        engine.dispose()


main()
