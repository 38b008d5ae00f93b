"""Face embeddings of tracks go into face_embeddings (PostgreSQL + pgvector) and are found by
cosine distance: the same person's face from another photo comes back first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from sqlalchemy import select

from vigil.db.session import Database
from vigil.db.tables import FaceEmbedding
from vigil.vision.face_tracks import FaceRecord, store_faces
from vigil.vision.faces import FaceDetector, SFaceEmbedder

SKIMAGE_DATA = Path(skimage.data.__file__).parent
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")
WHEN = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)


def test_store_and_find_a_track_face(db: Database) -> None:
    detector, embedder = FaceDetector(), SFaceEmbedder()
    astronaut = cv2.imread(str(SKIMAGE_DATA / "astronaut.png"))
    messi = cv2.imread(str(OPENCV_DATA / "messi5.jpg"))[40:240, 150:350]
    messi = cv2.resize(messi, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC)
    records = []
    for track_id, image in ((1, astronaut), (2, messi)):
        face = detector.detect(np.asarray(image, np.uint8))[0]
        records.append(FaceRecord("cam-1", track_id, WHEN, embedder.embed(face.aligned), 0.9))
    ids = store_faces(db, records)
    assert len(ids) == 2

    probe_image = np.asarray(cv2.flip(astronaut, 1), np.uint8)  # another picture of her
    probe = embedder.embed(detector.detect(probe_image)[0].aligned).tolist()
    with db.session() as session:
        rows = session.execute(
            select(
                FaceEmbedding.track_id,
                FaceEmbedding.camera_id,
                FaceEmbedding.embedding.cosine_distance(probe).label("distance"),
            ).order_by("distance")
        ).all()
    assert [r.track_id for r in rows] == [1, 2]
    assert rows[0].distance < 0.2 and rows[1].distance > 0.5
    assert store_faces(db, []) == []
