"""Bus consumers that write what the edge did into the database: the recording index (one row
per segment) and each camera's state."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.db.session import Database
from vigil.db.tables import Camera, CameraStateChange, RuleSource, Segment
from vigil.edge.camera_catalog import file_cameras
from vigil.edge.integrity import GAP_MIN_S
from vigil.edge.metrics import recording_gap_seconds
from vigil.model.messages import CameraStatus, SegmentInfo
from vigil.ops.tasks import cancel_and_wait

log = logging.getLogger(__name__)


def sync_cameras(db: Database, config: SiteConfig, clock: Clock) -> None:
    """Make the cameras table match site.yaml's cameras (names, channels, enabled) as source
    "config". Cameras added through the API (source "api") are left alone, except one whose
    id the file now uses: the file wins, as for zones and rules."""
    now = clock.now()
    with db.session() as session:
        api_ids = set(session.scalars(select(Camera.id).where(Camera.source == RuleSource.API)))
        for i, cam in enumerate(file_cameras(config)):
            if cam.id in api_ids:
                log.warning("camera %s from the API is replaced by site.yaml's", cam.id)
            values = {
                "name": cam.name,
                "channel": cam.channel,
                "stream": cam.stream,
                "enabled": cam.enabled,
                "source": RuleSource.CONFIG.value,
                "defined_in": f"cameras[{i}]",
                "url_encrypted": None,
                "display_aspect": cam.display_aspect,
                "updated_at": now,
            }
            session.execute(
                pg_insert(Camera)
                .values(
                    id=cam.id,
                    state="connecting" if cam.enabled else "disabled",
                    created_at=now,
                    **values,
                )
                .on_conflict_do_update(index_elements=["id"], set_=values)
            )
        session.commit()


class EdgeIndexer:
    """Consumes segments and camera status; writes them with retries so nothing is lost."""

    def __init__(self, bus: Bus, db: Database) -> None:
        self._bus = bus
        self._db = db
        self._tasks: list[asyncio.Task[None]] = []
        self.segments_indexed = 0

    async def start(self) -> None:
        seg = self._bus.subscribe(topics.SEGMENTS, "indexer")
        status = self._bus.subscribe(topics.CAMERA_STATUS, "indexer")
        self._tasks = [
            asyncio.create_task(self._consume(seg, self.index_segment), name="segment-index"),
            asyncio.create_task(self._consume(status, self.record_status), name="camera-state"),
        ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)

    async def _consume(self, sub: Subscription, write: object) -> None:
        async for message in sub:
            for attempt in range(5):
                try:
                    await asyncio.to_thread(write, message.value)  # type: ignore[arg-type]
                    break
                except Exception:
                    log.exception("index write failed (attempt %d of 5)", attempt + 1)
                    await asyncio.sleep(min(2**attempt, 10))
            sub.commit(message)

    def index_segment(self, seg: SegmentInfo) -> None:
        """Add one segment row (idempotent by key); count a hole before it as gap seconds."""
        with self._db.session() as session:
            previous_end = session.scalar(
                select(Segment.end_at)
                .where(Segment.camera_id == seg.camera_id, Segment.start_at < seg.start)
                .order_by(Segment.start_at.desc())
                .limit(1)
            )
            inserted = session.execute(
                pg_insert(Segment)
                .values(
                    camera_id=seg.camera_id,
                    key=seg.key,
                    start_at=seg.start,
                    end_at=seg.end,
                    duration_s=seg.duration_s,
                    size_bytes=seg.size_bytes,
                    created_at=seg.end,
                )
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(Segment.id)
            ).first()  # None when this segment was indexed before (a redelivery)
            session.commit()
        self.segments_indexed += 1
        if previous_end is not None and inserted is not None:
            hole_s = (seg.start - previous_end).total_seconds()
            if hole_s > GAP_MIN_S:
                recording_gap_seconds.labels(seg.camera_id).inc(hole_s)

    def record_status(self, status: CameraStatus) -> None:
        """Log a camera's state change and update its current state."""
        with self._db.session() as session:
            session.add(
                CameraStateChange(
                    camera_id=status.camera_id,
                    at=status.changed_at,
                    state=status.state.value,
                    detail=status.detail,
                )
            )
            session.execute(
                update(Camera)
                .where(Camera.id == status.camera_id)
                .values(
                    state=status.state.value,
                    state_detail=status.detail,
                    last_state_change_at=status.changed_at,
                    width=status.width,
                    height=status.height,
                    fps=status.fps,
                )
            )
            session.commit()
