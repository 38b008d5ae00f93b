"""What every table shares: the declarative `Base` (naming convention, UTC timestamps),
enum CHECK constraints and the created/updated columns."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    Double,
    Integer,
    MetaData,
    Text,
    TypeDecorator,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vigil.clock import utc

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """`timestamptz` that refuses naive datetimes and returns UTC ones."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UtcDateTime(),
        str: Text(),
        int: Integer(),
        float: Double(),
        uuid.UUID: PG_UUID(as_uuid=True),
        dict[str, Any]: JSONB(),
    }


class RuleSource(StrEnum):
    """Where a camera, zone or rule row came from: site.yaml (read-only in the API) or the API."""

    CONFIG = "config"
    API = "api"


def one_of(column: str, values: type[StrEnum]) -> str:
    """SQL for a CHECK that `column` holds one of the enum's values."""
    listed = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({listed})"


def created_at_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.now())


def updated_at_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.now(), onupdate=func.now())


def jsonb_object_column() -> Mapped[dict[str, Any]]:
    return mapped_column(server_default=text("'{}'::jsonb"))
