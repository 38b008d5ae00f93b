"""Record incidents: snapshot to the object store, event + alert rows, then push on the bus.

Ids are derived from the incident key, and the alert insert is `ON CONFLICT DO NOTHING` on
`incident_key`, so a retried or replayed incident never makes a second alert.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vigil.alerts.snapshots import render_snapshot
from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.config import SEVERITIES
from vigil.config.base import checked_literal
from vigil.db.session import Database
from vigil.db.tables import Alert, Camera, Event
from vigil.model.incidents import INCIDENT_NAMESPACE, Incident, IncidentEnded
from vigil.model.messages import (
    ALERT_STATUSES,
    AlertCleared,
    AlertRequest,
    AlertView,
)
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
        severity=checked_literal(alert.severity, SEVERITIES, "severity"),
        status=checked_literal(alert.status, ALERT_STATUSES, "alert status"),
        title=alert.title,
        created_at=alert.created_at,
        acknowledged_at=alert.acknowledged_at,
        acknowledged_by=alert.acknowledged_by,
        resolved_at=alert.resolved_at,
        event_id=str(alert.event_id) if alert.event_id else None,
        snapshot_url=(
            f"/api/v1/events/{alert.event_id}/snapshot"
            if alert.event_id and alert.snapshot_key
            else None
        ),
        resolved_by=alert.resolved_by,
        assigned_to=alert.assigned_to,
        assigned_at=alert.assigned_at,
        escalation_level=alert.escalation_level or 0,
        escalated_at=alert.escalated_at,
        details=data.get("details", {}),
    )


def snapshot_key(camera_id: str, occurred_at: datetime, event_id: uuid.UUID) -> str:
    return f"{camera_id}/{occurred_at.strftime('%Y/%m/%d')}/{event_id}.jpg"


def incident_request(incident: Incident) -> AlertRequest:
    """A rule incident as an alert request (the zone and the people in it are drawn)."""
    return AlertRequest(
        key=incident.key,
        camera_id=incident.camera_id,
        type=incident.rule_type,
        severity=incident.severity,
        title=incident.title,
        occurred_at=incident.started_at,
        rule_id=incident.rule_id,
        rule_name=incident.rule_name,
        zone_id=incident.zone.id if incident.zone else None,
        zone_name=incident.zone.name if incident.zone else None,
        zone_polygon=incident.outline or (incident.zone.polygon_xy if incident.zone else None),
        detections=incident.detections,
        image=incident.frame.image if incident.frame is not None else None,
        data={"people": len(incident.detections), **incident.data},
    )


def event_id_of(key: str) -> uuid.UUID:
    return uuid.uuid5(INCIDENT_NAMESPACE, f"event/{key}")


def alert_id_of(key: str) -> uuid.UUID:
    return uuid.uuid5(INCIDENT_NAMESPACE, f"alert/{key}")


class IncidentRecorder:
    """The one writer of events and alerts: snapshot, rows, then `alert.created` on the bus."""

    def __init__(self, db: Database, store: ObjectStore, bus: Bus, clock: Clock) -> None:
        self._db = db
        self._store = store
        self._bus = bus
        self._clock = clock

    async def record(self, incident: Incident) -> bool:
        """Store a rule incident; returns False when it was already recorded."""
        return await self.raise_alert(incident_request(incident))

    async def raise_alert(self, request: AlertRequest) -> bool:
        """Store the alert (and its event and snapshot); False when the key was seen before."""
        snapshot = None
        if request.image is not None:
            snapshot = snapshot_key(
                request.camera_id, request.occurred_at, event_id_of(request.key)
            )
            jpeg = await asyncio.to_thread(
                render_snapshot, request.image, request.detections, request.zone_polygon
            )
            await asyncio.to_thread(self._store.put_bytes, "snapshots", snapshot, jpeg)
        return await asyncio.to_thread(self._raise, request, snapshot)

    def raise_now(self, request: AlertRequest) -> bool:
        """`raise_alert` for a request without an image, blocking (call it off the event
        loop): for a writer that must not wait on the alert-request consumers."""
        return self._raise(request, None)

    def _raise(self, request: AlertRequest, snapshot: str | None) -> bool:
        created = self._write(request, snapshot)
        if created:
            metrics.events_total.labels(camera=request.camera_id, type=request.type).inc()
            metrics.alerts_total.labels(
                camera=request.camera_id, type=request.type, severity=request.severity
            ).inc()
            log.info("alert %s: %s [%s]", alert_id_of(request.key), request.title, request.severity)
            view = self._view(request)
            self._bus.publish(
                topics.ALERTS, request.camera_id, {"type": "alert.created", "alert": view.to_json()}
            )
        return created

    def _view(self, request: AlertRequest) -> AlertView:
        with self._db.session() as session:
            alert = session.get(Alert, alert_id_of(request.key))
            assert alert is not None
            camera = session.get(Camera, request.camera_id)
            return alert_view(alert, camera.name if camera else request.camera_id)

    def _write(self, request: AlertRequest, snapshot: str | None) -> bool:
        now = self._clock.now()
        best = max(request.detections, key=lambda d: d.confidence, default=None)
        event_id = event_id_of(request.key)
        with self._db.session() as session:
            session.execute(
                pg_insert(Event)
                .values(
                    id=event_id,
                    occurred_at=request.occurred_at,
                    camera_id=request.camera_id,
                    type=request.type,
                    severity=request.severity,
                    rule_id=request.rule_id,
                    zone_id=request.zone_id,
                    track_id=best.track_id if best else None,
                    confidence=best.confidence if best else None,
                    bbox=list(best.bbox_xyxy) if best else None,
                    snapshot_key=snapshot,
                    data={
                        **request.data,
                        "incident_key": request.key,
                        "zone_name": request.zone_name,
                        "detections": [d.to_json() for d in request.detections],
                    },
                    created_at=now,
                )
                .on_conflict_do_nothing()
            )
            result = session.execute(
                pg_insert(Alert)
                .values(
                    id=alert_id_of(request.key),
                    event_id=event_id,
                    camera_id=request.camera_id,
                    rule_id=request.rule_id,
                    type=request.type,
                    severity=request.severity,
                    status="new",
                    title=request.title,
                    incident_key=request.key,
                    created_at=now,
                    updated_at=now,
                    snapshot_key=snapshot,
                    data={
                        "rule_name": request.rule_name,
                        "zone_id": request.zone_id,
                        "zone_name": request.zone_name,
                        "details": request.data,
                    },
                )
                .on_conflict_do_nothing(index_elements=["incident_key"])
                .returning(Alert.id)
            )
            created = result.first() is not None
            session.commit()
            return created

    async def end(self, ended: IncidentEnded) -> None:
        """Note when a rule incident's condition cleared."""
        await self.clear(AlertCleared(ended.key, ended.camera_id, ended.ended_at, ended.resolve))

    async def clear(self, cleared: AlertCleared) -> None:
        """Record that the condition cleared; with `resolve`, resolve the alert as "system"."""
        await asyncio.to_thread(self.clear_now, cleared)

    def clear_now(self, cleared: AlertCleared) -> None:
        """`clear`, blocking (call it off the event loop)."""
        view = self._clear(cleared)
        if view is not None:
            self._bus.publish(
                topics.ALERTS, cleared.camera_id, {"type": "alert.updated", "alert": view.to_json()}
            )

    def _clear(self, cleared: AlertCleared) -> AlertView | None:
        with self._db.session() as session:
            alert = session.execute(
                select(Alert).where(Alert.incident_key == cleared.key).with_for_update()
            ).scalar_one_or_none()
            if alert is None:
                return None
            alert.data = {**(alert.data or {}), "cleared_at": cleared.cleared_at.isoformat()}
            resolved = cleared.resolve and alert.status != "resolved"
            if resolved:
                alert.status = "resolved"
                alert.resolved_at = cleared.cleared_at
                alert.resolved_by = "system"
                alert.updated_at = self._clock.now()
            session.commit()
            if not resolved:
                return None
            camera = session.get(Camera, alert.camera_id)
            return alert_view(alert, camera.name if camera else None)
