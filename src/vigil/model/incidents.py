"""What rules produce: an incident opened (one alert's worth) or an incident's condition ended."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from vigil.model.detections import Detection
from vigil.model.messages import Frame
from vigil.model.zones import Zone

# Ids derived from the incident key: a replayed frame or a retried write gives the same ids.
INCIDENT_NAMESPACE = uuid.UUID("6f1c4c1e-6a8b-4f0e-9b53-2f0f4a1a7c11")


@dataclass(frozen=True, slots=True)
class Incident:
    """A newly opened incident: one alert's worth. Coordinates are normalised xyxy."""

    key: str
    rule_id: str
    rule_name: str
    rule_type: str
    camera_id: str
    camera_name: str
    zone: Zone | None
    severity: str
    started_at: datetime
    detections: tuple[Detection, ...]
    frame: Frame | None = field(repr=False)
    title_text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # Drawn on the snapshot instead of the zone (a crossing line), normalised.
    outline: tuple[tuple[float, float], ...] | None = None

    @property
    def event_id(self) -> uuid.UUID:
        return uuid.uuid5(INCIDENT_NAMESPACE, f"event/{self.key}")

    @property
    def alert_id(self) -> uuid.UUID:
        return uuid.uuid5(INCIDENT_NAMESPACE, f"alert/{self.key}")

    @property
    def title(self) -> str:
        if self.title_text is not None:
            return self.title_text
        people = len(self.detections)
        who = "1 person" if people == 1 else f"{people} people"
        where = self.zone.name if self.zone is not None else "view"
        return f"{who} in {where} ({self.camera_name})"


@dataclass(frozen=True, slots=True)
class IncidentEnded:
    """The condition behind incident `key` cleared; `resolve` resolves its alert too."""

    key: str
    camera_id: str
    ended_at: datetime
    resolve: bool = False
