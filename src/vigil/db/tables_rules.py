"""ORM models of zones and rules (issue 6): those of site.yaml (source "config", rewritten on
every start: the file wins) and those made through the API (source "api", editable).

The tables are the reference architecture's `perimeter_zones` and `alert_rules`, created by
0001 and reshaped by versions/0006_rules.py. Kept out of models.py so parallel work does not
collide; models.py imports this module so the tables register on `Base.metadata`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, PrimaryKeyConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from vigil.db.models import Base, RuleSource, ZoneKind, _created, _updated, one_of


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
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()


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
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
