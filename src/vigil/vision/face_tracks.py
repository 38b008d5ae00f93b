"""One embedding per person track: keep each track's best face, embed it when the track ends.

`FaceCollector.observe` looks for a face in the upper part of tracked people, at most every
`every_s` seconds and `max_tries` times per track (YuNet costs ~10 ms per person crop), and
keeps the best accepted face in memory. `finish` embeds the best face of each ended track once
and returns `FaceRecord`s; `store_faces` writes them to `face_embeddings` (pgvector). The aligned
face picture itself is dropped: only the embedding is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from vigil.db.session import Database
from vigil.db.tables import FaceEmbedding
from vigil.model.detections import Detections
from vigil.vision.faces import EMBEDDING_MODEL, Face, FaceDetector, FaceEmbedder
from vigil.vision.tracker import Track


@dataclass(frozen=True, slots=True)
class FaceRecord:
    camera_id: str
    track_id: int
    captured_at: datetime
    embedding: npt.NDArray[np.float32]
    quality: float
    # The aligned 112x112 face, for a watchlist alert's snapshot; never stored by store_faces.
    face_bgr: npt.NDArray[np.uint8] | None = field(default=None, repr=False, compare=False)
    embedding_model: str = EMBEDDING_MODEL  # the embedder's `name`


@dataclass(slots=True)
class _Best:
    face: Face | None = None
    seen_at: datetime | None = None
    tries: int = 0
    last_try: datetime | None = None


class FaceCollector:
    """Best faces of one camera's person tracks. Call in frame order (not thread-safe)."""

    def __init__(
        self,
        camera_id: str,
        detector: FaceDetector,
        embedder: FaceEmbedder,
        *,
        every_s: float = 2.0,
        max_tries: int = 5,
        classes: tuple[str, ...] = ("person",),
    ) -> None:
        self.camera_id = camera_id
        self.detector = detector
        self.embedder = embedder
        self.every_s = every_s
        self.max_tries = max_tries
        self.classes = classes
        self._best: dict[int, _Best] = {}

    def observe(
        self, frame_bgr: npt.NDArray[np.uint8], detections: Detections, timestamp: datetime
    ) -> list[tuple[int, Face]]:
        """Try for faces on this frame's tracked people that are due a try; returns the
        tracks that got their first usable face on this frame, with that face."""
        firsts: list[tuple[int, Face]] = []
        for det in detections:
            if det.track_id is None or det.class_name not in self.classes:
                continue
            best = self._best.setdefault(det.track_id, _Best())
            due = best.last_try is None or (
                (timestamp - best.last_try).total_seconds() >= self.every_s
            )
            if best.tries >= self.max_tries or not due:
                continue
            best.tries += 1
            best.last_try = timestamp
            face = self.detector.in_person(frame_bgr, det.bbox_xyxy)
            if face is None or face.rejected is not None:
                continue
            if best.face is None:
                firsts.append((det.track_id, face))
            if best.face is None or face.quality > best.face.quality:
                best.face, best.seen_at = face, timestamp
        return firsts

    def finish(self, tracks: Iterable[Track]) -> list[FaceRecord]:
        """Embed the best face of each ended track (those without one are skipped)."""
        records: list[FaceRecord] = []
        for track in tracks:
            best = self._best.pop(track.track_id, None)
            if best is None or best.face is None or best.seen_at is None:
                continue
            records.append(
                FaceRecord(
                    self.camera_id,
                    track.track_id,
                    best.seen_at,
                    self.embedder.embed(best.face.aligned),
                    best.face.quality,
                    best.face.aligned,
                    self.embedder.name,
                )
            )
        return records


def store_faces(db: Database, records: Iterable[FaceRecord]) -> list[str]:
    """Insert the records into face_embeddings in one transaction; returns the new row ids."""
    rows = [
        FaceEmbedding(
            camera_id=r.camera_id,
            track_id=r.track_id,
            captured_at=r.captured_at,
            embedding=[float(v) for v in r.embedding],
            embedding_model=r.embedding_model,
            quality=r.quality,
        )
        for r in records
    ]
    if not rows:
        return []
    with db.session() as session:
        session.add_all(rows)
        session.commit()
        return [str(row.id) for row in rows]
