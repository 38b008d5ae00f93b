"""The hub's side of the edge uplink: idempotent upserts of what edges send.

Events and alerts keep the edge's deterministic ids, so a replayed batch changes nothing. An
alert already at the hub only moves forward (new -> acknowledged -> resolved) and only fills
fields the hub has not set: what people did at the hub (an acknowledgement, an assignment) is
never overwritten by a replay. Heartbeats feed the same HeartbeatMonitor that
GET /api/v1/system/edges reads; segments land in the hub's object store and recording index.
Faces keep the edge's ids too (inserted once, so the hub's face search covers every site).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from vigil.alerts.incidents import alert_view
from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import FACE_EMBEDDING_DIM, Alert, Camera, Event, FaceEmbedding
from vigil.edge.heartbeat import Heartbeat
from vigil.edge.index import EdgeIndexer
from vigil.errors import VigilError
from vigil.hub.heartbeat import HeartbeatMonitor
from vigil.model.messages import AlertView, SegmentInfo
from vigil.model.times import AwareInstant
from vigil.storage import ObjectStore
from vigil.storage.base import plain_key

log = logging.getLogger(__name__)

SEGMENTS_BUCKET, SNAPSHOTS_BUCKET = "video-segments", "snapshots"
MAX_SEGMENT_BYTES = 1 << 30
MAX_SNAPSHOT_BYTES = 20 << 20
_STATUS_RANK = {"new": 0, "acknowledged": 1, "resolved": 2}
Outcome = Literal["created", "updated", "duplicate", "recorded"]


class UploadError(VigilError):
    """A segment upload is malformed (size, checksum)."""

    status_code = 422


def _no_nul(value: Any, where: str) -> None:
    """PostgreSQL text and jsonb cannot hold NUL characters; refuse them with their place."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    if isinstance(value, dict):
        for k, v in value.items():
            _no_nul(k, where)
            _no_nul(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_nul(v, f"{where}[{i}]")


class _Record(BaseModel):
    # Unknown columns are ignored, not refused: an edge a version ahead of its hub must not
    # jam its queue over a column the hub does not know yet.
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        _no_nul(value, "value")
        return value


Text = Annotated[str, Field(min_length=1, max_length=200)]


def _check_key(key: str | None, field: str, camera_id: str, suffix: str) -> None:
    """An object key an edge names (the hub reads it later): `<camera_id>/…/<name><suffix>`
    in plain names (storage.base.PLAIN_KEY), as the uploads under /ingest must be."""
    if key is None:
        return
    if not (plain_key(key) and key.startswith(f"{camera_id}/") and key.endswith(suffix)):
        raise ValueError(
            f"{field} {key!r}: must be '<camera_id>/…/<name>{suffix}' in letters, digits, '.', "
            f"'_', '-' (camera_id is {camera_id!r})"
        )


class EventIn(_Record):
    id: uuid.UUID
    occurred_at: AwareInstant
    camera_id: Text
    type: Text
    severity: Text
    rule_id: str | None = Field(None, max_length=200)
    zone_id: str | None = Field(None, max_length=200)
    track_id: int | None = Field(None, ge=-(2**31), lt=2**31)
    confidence: float | None = Field(None, ge=0, le=1)
    bbox: list[float] | None = Field(None, min_length=4, max_length=4)
    snapshot_key: str | None = Field(None, max_length=1000)
    clip_key: str | None = Field(None, max_length=1000)
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: AwareInstant | None = None

    @model_validator(mode="after")
    def _keys(self) -> EventIn:
        _check_key(self.snapshot_key, "snapshot_key", self.camera_id, ".jpg")
        _check_key(self.clip_key, "clip_key", self.camera_id, ".mp4")
        return self


class AlertIn(_Record):
    id: uuid.UUID
    event_id: uuid.UUID | None = None
    camera_id: Text
    rule_id: str | None = Field(None, max_length=200)
    type: Text
    severity: Text
    status: Literal["new", "acknowledged", "resolved"]
    title: str = Field(min_length=1, max_length=500)
    incident_key: str = Field(min_length=1, max_length=500)
    created_at: AwareInstant
    updated_at: AwareInstant | None = None
    acknowledged_at: AwareInstant | None = None
    acknowledged_by: str | None = Field(None, max_length=200)
    resolved_at: AwareInstant | None = None
    resolved_by: str | None = Field(None, max_length=200)
    snapshot_key: str | None = Field(None, max_length=1000)
    data: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _keys(self) -> AlertIn:
        _check_key(self.snapshot_key, "snapshot_key", self.camera_id, ".jpg")
        return self


class HeartbeatIn(_Record):
    edge_id: Text
    timestamp: AwareInstant
    stream_count: int = Field(ge=0, le=10_000)
    disk_free: int = Field(ge=0)
    mem_usage: float = Field(ge=0, le=100)
    queue_depth: int | None = Field(None, ge=0, description="Items in the edge's uplink queue.")


class FaceIn(_Record):
    id: uuid.UUID
    camera_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")  # a camera id (config Slug)
    track_id: int | None = Field(None, ge=-(2**31), lt=2**31)
    event_id: uuid.UUID | None = None
    captured_at: AwareInstant
    embedding: list[float] = Field(
        min_length=FACE_EMBEDDING_DIM,
        max_length=FACE_EMBEDDING_DIM,
        description=f"The face's {FACE_EMBEDDING_DIM}-d embedding (finite numbers within ±1e6).",
    )
    quality: float | None = Field(None, ge=0, le=1e6)
    embedding_model: str = Field(
        "facenet-casia",
        pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$",
        description="The model that made the embedding; faces are only compared with faces of "
        "the same model. Edges from before SFace (issue 13) do not send it: theirs is FaceNet.",
    )

    @field_validator("embedding")
    @classmethod
    def _finite(cls, value: list[float]) -> list[float]:
        # Bounded as well: pgvector stores float32, which holds no more than ~3.4e38.
        bad = next((n for n, v in enumerate(value) if not math.isfinite(v) or abs(v) > 1e6), None)
        if bad is not None:
            raise ValueError(f"embedding[{bad}] is not a finite number within ±1e6")
        if not any(value):
            raise ValueError("embedding is all zeros (no direction to compare by cosine)")
        return value


Record = EventIn | AlertIn | HeartbeatIn | FaceIn


@dataclass(frozen=True, slots=True)
class SegmentUpload:
    camera_id: str
    key: str
    start: datetime
    end: datetime
    keyframe_count: int
    size_bytes: int
    sha256: str


class IngestService:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        store: ObjectStore,
        clock: Clock,
        edges: HeartbeatMonitor | None,
    ) -> None:
        self._db = db
        self._bus = bus
        self._store = store
        self._clock = clock
        self._edges = edges
        self._indexer = EdgeIndexer(bus, db)

    async def records(self, records: list[Record]) -> list[Outcome]:
        """Store a batch in one transaction, in order; then publish the alerts that are new or
        moved on, and record the heartbeats."""
        outcomes, changed = await asyncio.to_thread(self._write, records)
        for kind, view in changed:
            self._bus.publish(
                topics.ALERTS, view.camera_id, {"type": kind, "alert": view.to_json()}
            )
        beats = [r for r in records if isinstance(r, HeartbeatIn)]
        if beats and self._edges is not None:
            newest = max(beats, key=lambda b: b.timestamp)
            await asyncio.to_thread(  # the hub's edge state is a database row
                self._edges.on_beat,
                Heartbeat(
                    edge_id=newest.edge_id,
                    timestamp=newest.timestamp,
                    stream_count=newest.stream_count,
                    disk_free=newest.disk_free,
                    mem_usage=newest.mem_usage,
                    queue_depth=newest.queue_depth,
                ),
            )
        return outcomes

    def _write(self, records: list[Record]) -> tuple[list[Outcome], list[tuple[str, AlertView]]]:
        outcomes: list[Outcome] = []
        changed: list[tuple[Outcome, Alert]] = []
        with self._db.session() as session:
            for record in records:
                if isinstance(record, EventIn):
                    outcomes.append(self._event(session, record))
                elif isinstance(record, AlertIn):
                    outcome, alert = self._alert(session, record)
                    outcomes.append(outcome)
                    if alert is not None:
                        changed.append((outcome, alert))
                elif isinstance(record, FaceIn):
                    outcomes.append(self._face(session, record))
                else:
                    outcomes.append("recorded")
            session.commit()
            views: list[tuple[str, AlertView]] = []
            for outcome, alert in changed:
                camera = session.get(Camera, alert.camera_id)
                kind = "alert.created" if outcome == "created" else "alert.updated"
                views.append((kind, alert_view(alert, camera.name if camera else None)))
        return outcomes, views

    def _event(self, session: Session, e: EventIn) -> Outcome:
        values = e.model_dump()
        values["created_at"] = values["created_at"] or self._clock.now()
        inserted = session.execute(
            pg_insert(Event).values(**values).on_conflict_do_nothing().returning(Event.id)
        ).first()
        return "created" if inserted is not None else "duplicate"

    def _face(self, session: Session, f: FaceIn) -> Outcome:
        inserted = session.execute(
            pg_insert(FaceEmbedding)
            .values(**f.model_dump())
            .on_conflict_do_nothing()
            .returning(FaceEmbedding.id)
        ).first()
        return "created" if inserted is not None else "duplicate"

    def _alert(self, session: Session, a: AlertIn) -> tuple[Outcome, Alert | None]:
        values = a.model_dump()
        values["updated_at"] = values["updated_at"] or a.created_at
        inserted = session.execute(
            pg_insert(Alert).values(**values).on_conflict_do_nothing().returning(Alert.id)
        ).first()
        if inserted is not None:
            return "created", session.get(Alert, a.id)
        hub = session.execute(
            select(Alert).where(Alert.incident_key == a.incident_key).with_for_update()
        ).scalar_one_or_none()
        if hub is None or _STATUS_RANK[a.status] <= _STATUS_RANK[hub.status]:
            return "duplicate", None
        # The edge moved the alert on (acknowledged or resolved locally): follow it, keeping
        # whatever the hub already recorded.
        hub.status = a.status
        if hub.acknowledged_at is None and a.acknowledged_at is not None:
            hub.acknowledged_at, hub.acknowledged_by = a.acknowledged_at, a.acknowledged_by
        if a.status == "resolved" and hub.resolved_at is None:
            hub.resolved_at, hub.resolved_by = a.resolved_at or self._clock.now(), a.resolved_by
        hub.updated_at = self._clock.now()
        return "updated", hub

    async def segment(self, upload: SegmentUpload, body: AsyncIterator[bytes]) -> Outcome:
        """Store one segment file under the edge's key and index it (both idempotent)."""
        outcome = await self.store_file(
            SEGMENTS_BUCKET, upload.key, upload.size_bytes, upload.sha256, body
        )
        info = SegmentInfo(
            upload.camera_id, upload.key, upload.start, upload.end, upload.size_bytes,
            upload.keyframe_count,
        )  # fmt: skip
        await asyncio.to_thread(self._indexer.index_segment, info)
        return outcome

    async def store_file(
        self, bucket: str, key: str, size_bytes: int, sha256: str, body: AsyncIterator[bytes]
    ) -> Outcome:
        """Receive a file (streamed to a temporary file; its size and SHA-256 checked) and
        store it as `bucket/key`. A file stored before is a duplicate and left as it is."""
        fd, name = tempfile.mkstemp(prefix="vigil-ingest-")
        tmp = Path(name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as f:
                async for chunk in body:
                    size += len(chunk)
                    if size > size_bytes:
                        raise UploadError(
                            f"body is longer than its Content-Length ({size_bytes} bytes)"
                        )
                    digest.update(chunk)
                    await asyncio.to_thread(f.write, chunk)
            if size != size_bytes:
                raise UploadError(f"got {size} bytes, Content-Length said {size_bytes}")
            if digest.hexdigest() != sha256:
                raise UploadError("X-Content-SHA256 does not match the bytes received")
            return await asyncio.to_thread(self._put, bucket, key, tmp)
        finally:
            await asyncio.to_thread(tmp.unlink, missing_ok=True)

    def _put(self, bucket: str, key: str, tmp: Path) -> Outcome:
        if self._store.exists(bucket, key):
            return "duplicate"
        self._store.put_file(bucket, key, tmp, move=True)
        return "created"
