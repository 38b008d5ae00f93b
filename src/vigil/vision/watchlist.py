"""Watchlists: a stored camera face that matches an enrolled person on an enabled watchlist
covering that camera raises a `watchlist_match` alert through the normal alert path.

The face stage hands each stored face to `WatchlistMatcher.submit` (from the detection thread;
it only queues). The matcher's own task runs the pgvector queries in a worker thread, so the
detector never waits for the database. It also labels the stored face with the nearest enrolled
person (`face_embeddings.person_id`), which face search shows.

One visit is one alert: the incident key is per (watchlist, person, camera) and the visit's
first face; further matches within `clear_after_s` belong to the same visit. When the person
has not been matched on that camera for `clear_after_s`, the visit ends (`AlertCleared`, the
alert stays open for an operator).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, or_, select, update

from vigil.bus import Bus, topics
from vigil.clock import Clock
from vigil.db.session import Database
from vigil.db.tables import FaceEmbedding, Person, PersonFace, Watchlist, WatchlistPerson
from vigil.model.detections import Detections
from vigil.model.messages import AlertCleared, AlertRequest
from vigil.ops.tasks import cancel_and_wait
from vigil.vision.face_tracks import FaceCollector
from vigil.vision.faces import EMBEDDING_MODEL, Face, FaceDetector, FaceEmbedder

log = logging.getLogger(__name__)
ALERT_TYPE = "watchlist_match"
_QUEUE_SIZE = 256
_SWEEP_S = 5.0


@dataclass(frozen=True, slots=True)
class SeenFace:
    """A face from a camera: its `face_embeddings` id (None: a track's first face, matched at
    once and not stored), unit embedding and the aligned face picture (BGR) for the alert's
    snapshot."""

    face_id: str | None
    camera_id: str
    track_id: int | None
    captured_at: datetime
    embedding: npt.NDArray[np.float32] = field(repr=False)
    face_bgr: npt.NDArray[np.uint8] | None = field(default=None, repr=False)
    embedding_model: str = EMBEDDING_MODEL  # compared only with enrolled faces of this model


@dataclass(frozen=True, slots=True)
class WatchlistHit:
    watchlist_id: str
    watchlist_name: str
    severity: str
    person_id: str
    person_name: str
    similarity: float  # cosine similarity to the person's closest enrolled face


@dataclass(slots=True)
class _Visit:
    key: str
    last_seen: datetime


def watchlist_hits(
    db: Database, camera_id: str, embedding: list[float], model: str = EMBEDDING_MODEL
) -> list[WatchlistHit]:
    """Persons on enabled watchlists covering `camera_id` whose closest enrolled face of the
    same embedding `model` is at least the watchlist's threshold similar (faces enrolled with
    another model are not compared: they need re-enrolment). Exact (no index): watchlists are
    small."""
    distance = func.min(PersonFace.embedding.cosine_distance(embedding)).label("distance")
    query = (
        select(Watchlist.id, Watchlist.name, Watchlist.severity, Person.id, Person.name, distance)
        .join(WatchlistPerson, WatchlistPerson.watchlist_id == Watchlist.id)
        .join(Person, Person.id == WatchlistPerson.person_id)
        .join(PersonFace, PersonFace.person_id == Person.id)
        .where(
            Watchlist.enabled.is_(True),
            PersonFace.embedding_model == model,
            or_(Watchlist.cameras.is_(None), Watchlist.cameras.contains([camera_id])),
        )
        .group_by(Watchlist.id, Person.id)
        .having(distance <= 1.0 - Watchlist.threshold)
        .order_by(distance)
    )
    with db.session() as session:
        return [
            WatchlistHit(str(wid), wname, severity, str(pid), pname, round(1.0 - float(d), 4))
            for wid, wname, severity, pid, pname, d in session.execute(query).all()
        ]


def label_face(
    db: Database,
    face_id: str,
    embedding: list[float],
    threshold: float,
    model: str = EMBEDDING_MODEL,
) -> str | None:
    """Mark a stored face as the nearest enrolled person's (among faces enrolled with the
    same embedding `model`) when at least `threshold` similar; returns the person's id."""
    distance = PersonFace.embedding.cosine_distance(embedding)
    with db.session() as session:
        row = session.execute(
            select(PersonFace.person_id, distance.label("d"))
            .where(PersonFace.embedding_model == model)
            .order_by(distance)
            .limit(1)
        ).first()
        if row is None or float(row.d) > 1.0 - threshold:
            return None
        session.execute(
            update(FaceEmbedding)
            .where(FaceEmbedding.id == uuid.UUID(face_id))
            .values(person_id=row.person_id)
        )
        session.commit()
        return str(row.person_id)


class WatchlistMatcher:
    """Matches stored camera faces against watchlists and publishes alert requests.

    `match_threshold` is the similarity from which a face is labelled as an enrolled person
    (search results); each watchlist has its own threshold for alerts."""

    def __init__(
        self,
        db: Database,
        bus: Bus,
        clock: Clock,
        *,
        match_threshold: float = 0.4,
        clear_after_s: float = 120.0,
    ) -> None:
        self._db = db
        self._bus = bus
        self._clock = clock
        self.match_threshold = match_threshold
        self.clear_after_s = clear_after_s
        self._queue: asyncio.Queue[list[SeenFace]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._visits: dict[tuple[str, str, str], _Visit] = {}
        self.received = 0  # faces handed to the matcher
        self.dropped = 0  # faces not matched because the matcher was behind
        self.processed = 0  # faces matched against the watchlists
        self.matched = 0  # visits that raised an alert

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue(_QUEUE_SIZE)
        self._task = asyncio.create_task(self._run(), name="watchlists")

    async def stop(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])

    def submit(self, faces: list[SeenFace]) -> None:
        """Queue stored faces for matching; safe from any thread, never blocks (when the
        matcher is behind, the batch is dropped and counted)."""
        if not faces or self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed: shutting down
            self._loop.call_soon_threadsafe(self._enqueue, faces)

    def _enqueue(self, faces: list[SeenFace]) -> None:
        assert self._queue is not None
        self.received += len(faces)
        try:
            self._queue.put_nowait(faces)
        except asyncio.QueueFull:
            self.dropped += len(faces)
            log.warning("watchlist matching is behind: %d face(s) not matched", len(faces))

    async def _run(self) -> None:
        assert self._queue is not None
        while True:
            try:
                faces = await asyncio.wait_for(self._queue.get(), _SWEEP_S)
            except TimeoutError:
                faces = []
            try:
                for face in faces:
                    await self.process(face)
                self.sweep()
            except Exception:  # a database hiccup must not end matching for good
                log.exception("watchlist matching failed")

    async def process(self, face: SeenFace) -> list[WatchlistHit]:
        """Label the face, and raise (or extend) a visit alert for each watchlist hit."""
        probe = [float(v) for v in face.embedding]
        if face.face_id is not None:
            await asyncio.to_thread(
                label_face,
                self._db,
                face.face_id,
                probe,
                self.match_threshold,
                face.embedding_model,
            )
        hits = await asyncio.to_thread(
            watchlist_hits, self._db, face.camera_id, probe, face.embedding_model
        )
        now = self._clock.now()
        for hit in hits:
            visit_id = (hit.watchlist_id, hit.person_id, face.camera_id)
            visit = self._visits.get(visit_id)
            if visit is not None:
                visit.last_seen = now
                continue
            key = (
                f"{ALERT_TYPE}:{hit.watchlist_id}:{hit.person_id}:{face.camera_id}:"
                f"{face.captured_at:%Y%m%dT%H%M%S}"
            )
            self._visits[visit_id] = _Visit(key, now)
            self.matched += 1
            log.warning(
                "watchlist %s: %s on %s (similarity %.2f)",
                hit.watchlist_name,
                hit.person_name,
                face.camera_id,
                hit.similarity,
            )
            self._bus.publish(topics.ALERT_REQUESTS, face.camera_id, _request(face, hit, key))
        self.processed += 1
        return hits

    def sweep(self) -> None:
        """End the visits of persons not matched for `clear_after_s`."""
        now = self._clock.now()
        for visit_id, visit in list(self._visits.items()):
            if (now - visit.last_seen).total_seconds() >= self.clear_after_s:
                del self._visits[visit_id]
                camera_id = visit_id[2]
                self._bus.publish(
                    topics.ALERT_REQUESTS, camera_id, AlertCleared(visit.key, camera_id, now)
                )


class EarlyFaceCollector(FaceCollector):
    """A `FaceCollector` that also hands each track's first usable face to `on_first` at once
    (embedded here, not stored), so a watchlisted person raises an alert while still in view;
    the track's best face is stored, and matched again, when the track ends. Costs one more
    embedding (~30 ms) per track with a face."""

    def __init__(
        self,
        camera_id: str,
        detector: FaceDetector,
        embedder: FaceEmbedder,
        on_first: Callable[[list[SeenFace]], None],
        *,
        every_s: float = 2.0,
        max_tries: int = 5,
    ) -> None:
        super().__init__(camera_id, detector, embedder, every_s=every_s, max_tries=max_tries)
        self._on_first = on_first

    def observe(
        self, frame_bgr: npt.NDArray[np.uint8], detections: Detections, timestamp: datetime
    ) -> list[tuple[int, Face]]:
        firsts = super().observe(frame_bgr, detections, timestamp)
        if firsts:
            self._on_first(
                [
                    SeenFace(
                        None,
                        self.camera_id,
                        track_id,
                        timestamp,
                        self.embedder.embed(face.aligned),
                        face.aligned,
                        self.embedder.name,
                    )
                    for track_id, face in firsts
                ]
            )
        return firsts


def _request(face: SeenFace, hit: WatchlistHit, key: str) -> AlertRequest:
    return AlertRequest(
        key=key,
        camera_id=face.camera_id,
        type=ALERT_TYPE,
        severity=hit.severity,
        title=f"{hit.person_name} seen (watchlist {hit.watchlist_name})",
        occurred_at=face.captured_at,
        rule_name=f"watchlist {hit.watchlist_name}",
        image=face.face_bgr,
        data={
            "watchlist_id": hit.watchlist_id,
            "watchlist_name": hit.watchlist_name,
            "person_id": hit.person_id,
            "person_name": hit.person_name,
            "similarity": hit.similarity,
            "face_id": face.face_id,
            "track_id": face.track_id,
        },
    )
