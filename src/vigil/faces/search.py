"""Face search: the stored faces nearest to a photo's face, or to a stored face, by cosine
similarity through pgvector's HNSW index, among the vectors of one embedding model (faces
stored by an older model are not comparable: they stay listed but are not found)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from vigil.db.session import Database
from vigil.db.tables import FaceEmbedding, Person
from vigil.errors import NotFoundError, VigilError
from vigil.vision.faces import EMBEDDING_MODEL, FaceDetector, FaceEmbedder

DEFAULT_EF_SEARCH = 100


class NoFaceError(VigilError):
    """The photo has no face good enough to search with."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """A stored face; `similarity` is cosine similarity to the probe (1 = identical)."""

    id: str
    camera_id: str
    track_id: int | None
    captured_at: datetime
    similarity: float
    quality: float | None
    person_id: str | None = None  # the enrolled person this face was matched to, if any
    person_name: str | None = None


class FaceSearch:
    """Searches face_embeddings. The face models load on the first photo search.

    `ef_search` is pgvector's `hnsw.ef_search` for these queries (the candidate list the
    index keeps while searching: higher finds more of the true nearest faces, slower); None
    leaves the server's setting (pgvector's default is 40). The default, 100, is from
    `vigil bench scale` over a million faces on Vigil's index (m=32, ef_construction=128):
    recall@10 0.957 against 0.903 at 40, p99 17.5 ms (README, Benchmarks). Searches filter
    by embedding model; pgvector's iterative index scan (`hnsw.iterative_scan`, strict order)
    keeps looking when rows of another model fill the first candidates.

    `model`: the embedding model whose vectors a photo or vector search compares (the
    embedder's `name`; the current model when no embedder is given).
    """

    def __init__(
        self,
        db: Database,
        *,
        detector: FaceDetector | None = None,
        embedder: FaceEmbedder | None = None,
        ef_search: int | None = DEFAULT_EF_SEARCH,
    ) -> None:
        if ef_search is not None and not 1 <= ef_search <= 1000:
            raise ValueError(f"ef_search must be 1 to 1000 (pgvector's range), not {ef_search}")
        self.db = db
        self.ef_search = ef_search
        self._detector = detector
        self._embedder = embedder
        self.model = embedder.name if embedder is not None else EMBEDDING_MODEL
        self._lock = threading.Lock()

    def models(self) -> tuple[FaceDetector, FaceEmbedder]:
        """The face detector and embedder (loaded on first use; both are thread-safe)."""
        return self._models()

    def _models(self) -> tuple[FaceDetector, FaceEmbedder]:
        with self._lock:
            if self._detector is None:
                self._detector = FaceDetector()
            if self._embedder is None:
                from vigil.vision.faces import SFaceEmbedder

                self._embedder = SFaceEmbedder()
            return self._detector, self._embedder

    def by_image(
        self, image_bgr: npt.NDArray[np.uint8], *, limit: int, cameras: frozenset[str] | None
    ) -> list[FaceMatch]:
        """Matches for the best face in the photo; `NoFaceError` (with the reason) if none."""
        detector, embedder = self._models()
        faces = detector.detect(image_bgr)
        if not faces:
            raise NoFaceError("no face found in the image")
        if faces[0].rejected is not None:
            raise NoFaceError(f"the face in the image is not usable: {faces[0].rejected}")
        probe = embedder.embed(faces[0].aligned)
        return self._nearest(probe, embedder.name, limit, cameras, exclude=None)

    def by_embedding(
        self, embedding_id: uuid.UUID, *, limit: int, cameras: frozenset[str] | None
    ) -> list[FaceMatch]:
        """Matches for a stored face (itself left out) among the faces of its own embedding
        model; `NotFoundError` if it is not visible."""
        with self.db.session() as session:
            row = session.get(FaceEmbedding, embedding_id)
            if row is None or (cameras is not None and row.camera_id not in cameras):
                raise NotFoundError(f"no face embedding {embedding_id}")
            probe, model = np.asarray(row.embedding, np.float32), row.embedding_model
        return self._nearest(probe, model, limit, cameras, exclude=embedding_id)

    def by_vector(
        self, probe: npt.NDArray[np.float32], *, limit: int, cameras: frozenset[str] | None
    ) -> list[FaceMatch]:
        """Matches for a 512-d embedding of `self.model` computed elsewhere (say, another site's
        camera)."""
        return self._nearest(probe, self.model, limit, cameras, exclude=None)

    def _nearest(
        self,
        probe: npt.NDArray[np.float32],
        model: str,
        limit: int,
        cameras: frozenset[str] | None,
        exclude: uuid.UUID | None,
    ) -> list[FaceMatch]:
        distance = FaceEmbedding.embedding.cosine_distance(probe.tolist())
        query = (
            select(FaceEmbedding, distance.label("distance"), Person.name)
            .outerjoin(Person, Person.id == FaceEmbedding.person_id)
            .where(FaceEmbedding.embedding_model == model)
            .order_by(distance)
            .limit(limit)
        )
        if cameras is not None:
            query = query.where(FaceEmbedding.camera_id.in_(sorted(cameras)))
        if exclude is not None:
            query = query.where(FaceEmbedding.id != exclude)
        with self.db.session() as session:
            # For this transaction only. Without the iterative scan, an index scan stops after
            # ef_search candidates, which rows of another model could fill entirely.
            session.execute(select(func.set_config("hnsw.iterative_scan", "strict_order", True)))
            if self.ef_search is not None:
                session.execute(
                    select(func.set_config("hnsw.ef_search", str(self.ef_search), True))
                )
            return [
                FaceMatch(
                    id=str(row.id),
                    camera_id=row.camera_id,
                    track_id=row.track_id,
                    captured_at=row.captured_at,
                    similarity=round(1.0 - float(d), 4),
                    quality=row.quality,
                    person_id=str(row.person_id) if name is not None else None,
                    person_name=name,
                )
                for row, d, name in session.execute(query).all()
            ]
