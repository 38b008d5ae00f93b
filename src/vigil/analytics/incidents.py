"""Record incidents: snapshot to the object store, event + alert rows, then push on the bus.

Ids are derived from the incident key, and the alert insert is `ON CONFLICT DO NOTHING` on
`incident_key`, so a retried or replayed incident never makes a second alert.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vigil.analytics.engine import Incident, IncidentEnded
from vigil.analytics.snapshots import render_snapshot
from vigil.bus import Bus, topics
from vigil.bus.messages import AlertView
from vigil.clock import Clock
from vigil.db.models import Alert, Camera, Event
from vigil.db.session import Database
from vigil.ops import metrics
from vigil.storage import ObjectStore

log = logging.getLogger(__name__)


def alert_view(alert: Alert, camera_name: str | None) -> AlertView:
    data = alert.data or {}
    return AlertView(
        id=str(alert.id),
        camera_id=alert.camera_id,
        camera_name=camera_name or alert.camera_id,
        rule_id=alert.rule_id,
        rule_name=data.get("rule_name"),
        type=alert.type,
        severity=alert.severity,
        status=alert.status,
        title=alert.title,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at,
        event_id=str(alert.event_id) if alert.event_id else None,
        snapshot_url=f"/api/v1/events/{alert.event_id}/snapshot" if alert.event_id else None,
    )


def snapshot_key(incident: Incident) -> str:
    day = incident.started_at.strftime("%Y/%m/%d")
    return f"{incident.camera_id}/{day}/{incident.event_id}.jpg"


class IncidentRecorder:
    def __init__(self, db: Database, store: ObjectStore, bus: Bus, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._bus = bus
        self._clock = clock

    async def record(self, incident: Incident) -> bool:
        """Store the incident; returns False when it was already recorded."""
        key = None
        if incident.frame is not None:
            key = snapshot_key(incident)
            jpeg = await asyncio.to_thread(
                render_snapshot,
                incident.frame.image,
                incident.detections,
                incident.zone.polygon_xy,
            )
            await asyncio.to_thread(self._store.put_bytes, "snapshots", key, jpeg)
        created = await asyncio.to_thread(self._write, incident, key)
        if created:
            metrics.events_total.labels(camera=incident.camera_id, type=incident.rule_type).inc()
            metrics.alerts_total.labels(
                camera=incident.camera_id, type=incident.rule_type, severity=incident.severity
            ).inc()
            log.info("alert %s: %s [%s]", incident.alert_id, incident.title, incident.severity)
            view = await asyncio.to_thread(self._view, incident)
            self._bus.publish(
                topics.ALERTS,
                incident.camera_id,
                {"type": "alert.created", "alert": view.to_json()},
            )
        return created

    def _view(self, incident: Incident) -> AlertView:
        with self._db.session() as session:
            alert = session.get(Alert, incident.alert_id)
            assert alert is not None
            camera = session.get(Camera, incident.camera_id)
            return alert_view(alert, camera.name if camera else incident.camera_name)

    def _write(self, incident: Incident, key: str | None) -> bool:
        now = self._clock.now()
        best = max(incident.detections, key=lambda d: d.confidence, default=None)
        with self._db.session() as session:
            session.execute(
                pg_insert(Event)
                .values(
                    id=incident.event_id,
                    occurred_at=incident.started_at,
                    camera_id=incident.camera_id,
                    type=incident.rule_type,
                    severity=incident.severity,
                    rule_id=incident.rule_id,
                    zone_id=incident.zone.id,
                    track_id=best.track_id if best else None,
                    confidence=best.confidence if best else None,
                    bbox=list(best.bbox_xyxy) if best else None,
                    snapshot_key=key,
                    data={
                        "incident_key": incident.key,
                        "people": len(incident.detections),
                        "zone_name": incident.zone.name,
                        "detections": [d.to_json() for d in incident.detections],
                    },
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
            result = session.execute(
                pg_insert(Alert)
                .values(
                    id=incident.alert_id,
                    event_id=incident.event_id,
                    camera_id=incident.camera_id,
                    rule_id=incident.rule_id,
                    type=incident.rule_type,
                    severity=incident.severity,
                    status="new",
                    title=incident.title,
                    incident_key=incident.key,
                    created_at=now,
                    updated_at=now,
                    snapshot_key=key,
                    data={
                        "rule_name": incident.rule_name,
                        "zone_id": incident.zone.id,
                        "zone_name": incident.zone.name,
                    },
                )
                .on_conflict_do_nothing(index_elements=["incident_key"])
                .returning(Alert.id)
            )
            created = result.first() is not None
            session.commit()
            return created

    async def end(self, ended: IncidentEnded) -> None:
        """Note when the incident's condition cleared (auto-resolve is the alert service's)."""
        await asyncio.to_thread(self._end, ended)

    def _end(self, ended: IncidentEnded) -> None:
        with self._db.session() as session:
            alert = session.execute(
                select(Alert).where(Alert.incident_key == ended.key)
            ).scalar_one_or_none()
            if alert is not None:
                alert.data = {**(alert.data or {}), "cleared_at": ended.ended_at.isoformat()}
                session.commit()
