"""Event clips: `pre_s` before to `post_s` after an alert, cut from the recorded segments by
stream copy (no re-encode) into one MP4 in the `clips` bucket; its key goes on the event row.

A stream-copied clip can only start on a keyframe, so it starts at the last keyframe at or
before `occurred_at - pre_s` (segments start on keyframes, so there always is one) and may be
up to a GOP longer than asked. Timestamps are re-based to start at zero.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import av.error
from sqlalchemy import select, update

from vigil.bus import Bus, topics
from vigil.bus.base import Subscription
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import Alert, Event, Segment
from vigil.db.tables.recordings import overlapping
from vigil.ops.tasks import cancel_and_wait
from vigil.storage import ObjectStore
from vigil.storage.remux import local_sources, remux_range

log = logging.getLogger(__name__)
CLIPS = "clips"


def clip_key(camera_id: str, occurred_at: datetime, event_id: uuid.UUID) -> str:
    return f"{camera_id}/{occurred_at:%Y/%m/%d}/{event_id}.mp4"


class ClipMaker:
    """Makes the clip of each new alert once the recordings after it exist.

    Listens to `alert.created` on the alerts topic; waits `post_s` plus `settle_s` (the
    segment being written when the alert fired must be finished and stored), then cuts.
    Failures are logged: an alert never waits for its clip."""

    def __init__(
        self,
        db: Database,
        store: ObjectStore,
        bus: Bus,
        clock: Clock,
        *,
        pre_s: float = 10.0,
        post_s: float = 10.0,
        settle_s: float = 15.0,
    ) -> None:
        self._db = db
        self._store = store
        self._bus = bus
        self._clock = clock
        self.pre_s = pre_s
        self.post_s = post_s
        self.settle_s = settle_s
        self._tasks: set[asyncio.Task[Any]] = set()
        self._consumer: asyncio.Task[None] | None = None

    async def start(self) -> None:
        sub = self._bus.subscribe(topics.ALERTS, "clips")
        self._consumer = asyncio.create_task(self._consume(sub), name="clips")

    async def stop(self) -> None:
        await cancel_and_wait([self._consumer, *self._tasks])

    async def _consume(self, sub: Subscription) -> None:
        async for message in sub:
            event = message.value
            if isinstance(event, dict) and event.get("type") == "alert.created":
                task = asyncio.create_task(self._later(event["alert"]["id"]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            sub.commit(message)

    async def _later(self, alert_id: str) -> None:
        await self._clock.sleep(self.post_s + self.settle_s)
        try:
            await self.make(uuid.UUID(alert_id))
        except Exception:
            log.exception("clip for alert %s failed", alert_id)

    async def make(self, alert_id: uuid.UUID) -> str | None:
        """Cut and store the clip of `alert_id`'s event; returns its key (None: no footage)."""
        return await asyncio.to_thread(self._make, alert_id)

    def _make(self, alert_id: uuid.UUID) -> str | None:
        with self._db.session() as session:
            row = session.execute(
                select(Event.id, Event.occurred_at, Event.camera_id)
                .join(Alert, Alert.event_id == Event.id)
                .where(Alert.id == alert_id)
            ).first()
            if row is None:
                return None
            event_id, occurred_at, camera_id = row
            start = occurred_at - timedelta(seconds=self.pre_s)
            end = occurred_at + timedelta(seconds=self.post_s)
            segments = session.execute(
                select(Segment.key, Segment.start_at)
                .where(overlapping(camera_id, start, end))
                .order_by(Segment.start_at)
            ).all()
        if not segments:
            log.warning("no recording around alert %s: no clip", alert_id)
            return None
        key = clip_key(camera_id, occurred_at, event_id)
        with tempfile.TemporaryDirectory(prefix="vigil-clip-") as tmp:
            sources = local_sources(self._store, segments, Path(tmp))
            out = Path(tmp) / "clip.mp4"
            try:
                if remux_range(sources, start, end, out) == 0:
                    return None
            except av.error.FFmpegError as err:
                log.error("cannot cut the clip of alert %s: %s", alert_id, err)
                return None
            self._store.put_file(CLIPS, key, out, move=True)
        with self._db.session() as session:
            session.execute(
                update(Event)
                .where(Event.id == event_id, Event.occurred_at == occurred_at)
                .values(clip_key=key)
            )
            session.commit()
        return key
