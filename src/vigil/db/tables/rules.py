"""Zones and rules: those of site.yaml (source "config", rewritten on every start) and those
added through the API (source "api")."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    PrimaryKeyConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.tables.base import (
    Base,
    RuleSource,
    created_at_column,
    one_of,
    updated_at_column,
)


class ZoneKind(StrEnum):
    ZONE = "zone"
    LINE = "line"


class PerimeterZone(Base):
    """A zone (polygon) on one camera, normalised [[x, y], ...] (0..1, origin top-left).

    `defined_in` is where site.yaml defines a config zone (e.g. "cameras[2].zones[0]")."""

    __tablename__ = "perimeter_zones"
    __table_args__ = (
        PrimaryKeyConstraint("camera_id", "id"),
        CheckConstraint(one_of("kind", ZoneKind), name="kind"),
        CheckConstraint(one_of("source", RuleSource), name="source"),
    )

    id: Mapped[str]
    camera_id: Mapped[str]
    name: Mapped[str]
    kind: Mapped[str]
    polygon: Mapped[list[list[float]]] = mapped_column(JSONB)
    criticality: Mapped[str]
    source: Mapped[str]
    defined_in: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()


class AlertRule(Base):
    """A site rule: `body` is the validated rule exactly as site.yaml would hold it
    (`vigil.config.RuleConfig`); name, type, severity and enabled are copies for queries."""

    __tablename__ = "alert_rules"
    __table_args__ = (CheckConstraint(one_of("source", RuleSource), name="source"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    type: Mapped[str]
    severity: Mapped[str]
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    body: Mapped[dict[str, Any]] = mapped_column(JSONB)
    source: Mapped[str]
    defined_in: Mapped[str | None]
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = updated_at_column()
