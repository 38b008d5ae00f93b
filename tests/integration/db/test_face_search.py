"""Face embeddings: 512-d vectors searched by cosine distance through the HNSW index."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select, text

from vigil.db.session import Database
from vigil.db.tables import FACE_EMBEDDING_DIM, FaceEmbedding


def _vector(rng: random.Random) -> list[float]:
    return [rng.gauss(0.0, 1.0) for _ in range(FACE_EMBEDDING_DIM)]


def test_nearest_neighbour_by_cosine_uses_the_hnsw_index(db: Database) -> None:
    rng = random.Random(7)
    vectors = [_vector(rng) for _ in range(200)]
    when = datetime(2031, 1, 1, tzinfo=UTC)
    with db.session() as session:
        rows = [
            FaceEmbedding(camera_id="cam1", captured_at=when, embedding=v, embedding_model="test")
            for v in vectors
        ]
        session.add_all(rows)
        session.commit()
        target = rows[123]
        # the same face, seen again: scaled (cosine ignores length) with a little noise
        probe = [2.5 * x + rng.gauss(0.0, 0.05) for x in vectors[123]]
        session.execute(text("SET LOCAL enable_seqscan = off"))
        query = (
            select(FaceEmbedding.id, FaceEmbedding.embedding.cosine_distance(probe).label("d"))
            .order_by(FaceEmbedding.embedding.cosine_distance(probe))
            .limit(3)
        )
        plan = "\n".join(
            session.execute(
                text("EXPLAIN " + str(query.compile(compile_kwargs={"literal_binds": True})))
            ).scalars()
        )
        found = session.execute(query).all()
        stored = session.get(FaceEmbedding, target.id)
    assert "ix_face_embeddings_embedding_hnsw" in plan, plan
    assert found[0].id == target.id
    assert found[0].d < 0.01 < found[1].d
    assert stored is not None and len(stored.embedding) == FACE_EMBEDDING_DIM
