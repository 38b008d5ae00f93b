"""Events as people see them (API, reports): a row of `events` with its snapshot and clip links.
Alerts as people see them are `vigil.model.messages.AlertView` (they travel on the bus too)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from vigil.config import Severity


class EventPublic(BaseModel):
    id: str
    occurred_at: datetime
    camera_id: str
    camera_name: str
    type: str
    severity: Severity
    rule_id: str | None
    zone_id: str | None
    confidence: float | None
    bbox: list[float] | None
    snapshot_url: str | None
    clip_url: str | None = Field(
        None, description="The event's clip (MP4, stream copy); null until it has been made."
    )
    data: dict[str, object]
