"""The faces an edge's uplink sends to the hub: new rows of `face_embeddings`, in (created_at,
id) order after a cursor that the uplink queue keeps (`UplinkQueue.put_faces`), so that the
hub's face search covers every site."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, literal, select, tuple_

from vigil.db.session import Database
from vigil.db.tables import FaceEmbedding

FACE_BATCH = 200  # faces taken from the database per round

FaceItem = tuple[str, dict[str, Any], str]  # (id, body for the hub, cursor after this face)


def face_json(face: FaceEmbedding) -> dict[str, Any]:
    """What the hub stores of a face: not the edge's person link, which means nothing there.
    The embedding's floats keep the 9 significant digits that carry a float32 exactly."""
    return {
        "id": str(face.id),
        "camera_id": face.camera_id,
        "track_id": face.track_id,
        "event_id": str(face.event_id) if face.event_id is not None else None,
        "captured_at": face.captured_at.isoformat(),
        "embedding": [float(f"{v:.9g}") for v in face.embedding],
        "embedding_model": face.embedding_model,
        "quality": face.quality,
    }


def new_faces(
    db: Database, cursor: str | None, *, settle: timedelta, limit: int = FACE_BATCH
) -> list[FaceItem]:
    """The next `limit` faces after `cursor` ("<created_at ISO> <id>"; None: from the first).

    Only faces stored at least `settle` ago (by the database's clock): `created_at` is when
    the storing transaction began, so a face whose transaction began before another's but
    committed after it would otherwise be passed by the cursor and never sent."""
    query = (
        select(FaceEmbedding)
        .where(FaceEmbedding.created_at < func.now() - settle)
        .order_by(FaceEmbedding.created_at, FaceEmbedding.id)
        .limit(limit)
    )
    if cursor is not None:
        at, face_id = cursor.split(" ")
        after = tuple_(literal(datetime.fromisoformat(at)), literal(uuid.UUID(face_id)))
        query = query.where(tuple_(FaceEmbedding.created_at, FaceEmbedding.id) > after)
    with db.session() as session:
        return [
            (str(f.id), face_json(f), f"{f.created_at.isoformat()} {f.id}")
            for f in session.scalars(query)
        ]
