"""Migration 0013: faces stored before it are tagged as FaceNet's, kept, and no longer compared
with the current model's (searches, watchlists, labels); enrolled persons show them as photos to
enrol again."""

from __future__ import annotations

import uuid

import numpy as np
from sqlalchemy import create_engine, text

from vigil.db.migrate import upgrade
from vigil.db.session import Database
from vigil.faces.search import FaceSearch
from vigil.vision.faces import EMBEDDING_MODEL
from vigil.vision.watchlist import label_face

VECTOR = [1.0] + [0.0] * 511


def test_rows_before_0013_are_facenet_kept_and_not_compared(empty_db_url: str) -> None:
    upgrade(empty_db_url, "0012")
    face_id, person_id = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(empty_db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO face_embeddings (id, camera_id, captured_at, embedding) "
                "VALUES (:id, 'gate', now(), :v)"
            ),
            {"id": face_id, "v": str(VECTOR)},
        )
        conn.execute(
            text("INSERT INTO persons (id, name, created_by) VALUES (:id, 'Old', 'admin')"),
            {"id": person_id},
        )
        conn.execute(
            text(
                "INSERT INTO person_faces (id, person_id, n, embedding, quality, photo_key) "
                "VALUES (:id, :p, 0, :v, 0.9, 'old/0.jpg')"
            ),
            {"id": uuid.uuid4(), "p": person_id, "v": str(VECTOR)},
        )
    upgrade(empty_db_url)
    with engine.connect() as conn:
        tags = conn.execute(
            text(
                "SELECT embedding_model FROM face_embeddings UNION ALL "
                "SELECT embedding_model FROM person_faces"
            )
        ).scalars()
        assert list(tags) == ["facenet-casia", "facenet-casia"]
        default = conn.execute(
            text(
                "SELECT count(*) FROM information_schema.columns WHERE column_name = "
                "'embedding_model' AND column_default IS NULL AND is_nullable = 'NO'"
            )
        ).scalar_one()
        assert default == 2  # every new vector must name its model
    engine.dispose()

    db = Database(empty_db_url)
    try:
        search = FaceSearch(db)
        assert search.model == EMBEDDING_MODEL
        probe = np.asarray(VECTOR, np.float32)
        assert search.by_vector(probe, limit=5, cameras=None) == []  # not the same model
        # The old face itself is still there, and finds faces of its own model.
        assert search.by_embedding(face_id, limit=5, cameras=None) == []
        assert label_face(db, str(face_id), VECTOR, 0.4) is None  # old enrolment: no label
        assert label_face(db, str(face_id), VECTOR, 0.4, model="facenet-casia") == str(person_id)
    finally:
        db.dispose()
