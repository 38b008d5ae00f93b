"""Face search at scale: N 512-d embeddings clustered like real identities, searched through
`FaceSearch` (pgvector HNSW, m=32, ef_construction=128, cosine, as the migration creates it).

The corpus: identities grouped into look-alike groups (cosine ~0.3 between people of a group,
~0 across groups); each stored face is its identity's centre plus noise (cosine ~0.85 to the
centre, ~0.7 between two sightings of one person), about 10 sightings per person (Poisson).
Probes are fresh sightings of stored people, not stored themselves. Recall@10 is measured
against exact nearest neighbours computed with numpy; the anchor is exact search in the same
database (the same query with index scans off: a sequential scan of every face).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import numpy.typing as npt
from pgvector.psycopg import register_vector
from sqlalchemy import make_url, text

from bench import nearest_rank, progress
from vigil.db.session import Database
from vigil.db.tables import FACE_EMBEDDING_DIM
from vigil.faces.search import FaceSearch
from vigil.vision.faces import EMBEDDING_MODEL

INDEX = "ix_face_embeddings_embedding_hnsw"
PER_PERSON = 10  # mean sightings per identity
PER_GROUP = 50  # identities per look-alike group
COS_TO_GROUP = 0.55  # an identity's centre to its group's centre
COS_TO_PERSON = 0.85  # one sighting to its identity's centre
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)

Vectors = npt.NDArray[np.float32]


def _unit(x: Vectors) -> Vectors:
    out: Vectors = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    return out


def _noise_scale(cosine: float) -> float:
    """Per-dimension sigma of Gaussian noise that leaves a unit vector at `cosine` to itself."""
    return float(np.sqrt((1.0 / cosine**2 - 1.0) / FACE_EMBEDDING_DIM))


Corpus = Literal["structured", "isotropic"]


class FaceCorpus:
    """`faces` clustered embeddings (rows) and fresh probes of the same identities.

    * structured (the default): identities and their sightings vary along a few directions
      more than others, as real face embeddings do (their intrinsic dimension is reported
      far below 512, about 10-20): a random rotation of a spectrum falling as 1/rank, which
      makes ~28 effective dimensions. Two people's centres are at cosine 0 +- 0.19, so
      look-alikes (0.5-0.6) exist, as with FaceNet; a sighting is at ~0.85 to its centre.
    * isotropic (the worst case for a graph index): look-alike groups of 50 identities at
      cosine ~0.3, groups unrelated, noise spread evenly over all 512 dimensions.
    """

    def __init__(self, faces: int, seed: int = 7, kind: Corpus = "structured") -> None:
        self.faces = faces
        self.kind = kind
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        persons = max(1, faces // PER_PERSON)
        dim = FACE_EMBEDDING_DIM
        self.person_of = np.empty(faces, np.int64)
        self.vectors = np.empty((faces, dim), np.float32)
        self.centres = np.empty((persons, dim), np.float32)
        if kind == "structured":
            gauss = self.rng.standard_normal((dim, dim)).astype(np.float32)
            self._rotation = np.linalg.qr(gauss)[0].astype(np.float32)
            spectrum = 1.0 / np.arange(1, dim + 1, dtype=np.float32)
            self._scale = np.sqrt(spectrum / spectrum.sum()).astype(np.float32)
            for lo in range(0, persons, 50_000):
                n = min(persons, lo + 50_000) - lo
                self.centres[lo : lo + n] = _unit(self._shaped(n, 1.0))
            return
        groups = max(1, persons // PER_GROUP)
        group_centres = _unit(self.rng.standard_normal((groups, dim), np.float32))
        person_group = self.rng.integers(0, groups, persons)
        sigma = _noise_scale(COS_TO_GROUP)
        for lo in range(0, persons, 50_000):
            hi = min(persons, lo + 50_000)
            noise = sigma * self.rng.standard_normal((hi - lo, dim), np.float32)
            self.centres[lo:hi] = _unit(group_centres[person_group[lo:hi]] + noise)

    def _shaped(self, n: int, norm: float) -> Vectors:
        """n vectors of expected length `norm` along the structured corpus's spectrum."""
        gauss = self.rng.standard_normal((n, FACE_EMBEDDING_DIM), np.float32)
        out: Vectors = (norm * gauss * self._scale) @ self._rotation.T
        return out

    def _sightings(self, persons: npt.NDArray[np.int64]) -> Vectors:
        if self.kind == "structured":
            spread = float(np.sqrt(1.0 / COS_TO_PERSON**2 - 1.0))
            return _unit(self.centres[persons] + self._shaped(len(persons), spread))
        sigma = _noise_scale(COS_TO_PERSON)
        noise = sigma * self.rng.standard_normal((len(persons), FACE_EMBEDDING_DIM), np.float32)
        return _unit(self.centres[persons] + noise)

    def chunks(self, size: int = 50_000) -> Iterator[tuple[int, Vectors]]:
        """Generate the stored faces in chunks: (first row, vectors); keeps them all."""
        persons = len(self.centres)
        for lo in range(0, self.faces, size):
            hi = min(self.faces, lo + size)
            who = self.rng.integers(0, persons, hi - lo)
            self.person_of[lo:hi] = who
            self.vectors[lo:hi] = self._sightings(who)
            yield lo, self.vectors[lo:hi]

    def probes(self, n: int) -> Vectors:
        """New sightings of `n` stored identities (call after `chunks` is exhausted)."""
        return self._sightings(self.rng.choice(self.person_of, n))

    def exact_top(self, probes: Vectors, k: int) -> npt.NDArray[np.int64]:
        """Row numbers of each probe's k most cosine-similar stored faces, best first."""
        best_s = np.full((len(probes), k), -np.inf, np.float32)
        best_i = np.zeros((len(probes), k), np.int64)
        for lo in range(0, self.faces, 100_000):
            sims = probes @ self.vectors[lo : lo + 100_000].T
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k] if sims.shape[1] > k else None
            idx = top if top is not None else np.tile(np.arange(sims.shape[1]), (len(probes), 1))
            cand_s = np.concatenate([best_s, np.take_along_axis(sims, idx, 1)], axis=1)
            cand_i = np.concatenate([best_i, idx + lo], axis=1)
            keep = np.argsort(-cand_s, axis=1)[:, :k]
            best_s = np.take_along_axis(cand_s, keep, 1)
            best_i = np.take_along_axis(cand_i, keep, 1)
        return best_i


def row_id(row: int) -> uuid.UUID:
    """The stored face's id: its row number as a UUID, so results map back to rows."""
    return uuid.UUID(int=row + 1)


def _signature(corpus: FaceCorpus) -> str:
    # The model is part of it: a corpus stored before migration 0013 is tagged facenet-casia,
    # which the searches (current model only) would not see.
    return (
        f"vigil bench scale: {corpus.kind} corpus of {corpus.faces} faces, seed {corpus.seed}, "
        f"model {EMBEDDING_MODEL}"
    )


@dataclass(frozen=True, slots=True)
class IndexParams:
    """HNSW build parameters; the defaults are the migration's (0012: DESIGN.md's m=16,
    ef_construction=64 missed the recall goal)."""

    m: int = 32
    ef_construction: int = 128

    def definition(self) -> str:
        return (
            f"CREATE INDEX {INDEX} ON public.face_embeddings USING hnsw "
            f"(embedding vector_cosine_ops) WITH (m='{self.m}', "
            f"ef_construction='{self.ef_construction}')"
        )


def _index_definition(db: Database) -> str | None:
    with db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": INDEX}
        ).scalar()
    return None if found is None else str(found)


def load(db: Database, corpus: FaceCorpus) -> None:
    """Store the corpus in face_embeddings, without the HNSW index (dropped: inserting a
    million rows one by one into an HNSW graph is far slower than building it at once)."""
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
        conn.execute(text("TRUNCATE face_embeddings"))
        conn.execute(text("COMMENT ON TABLE face_embeddings IS NULL"))
    t0 = time.monotonic()
    raw = db.engine.raw_connection()
    try:
        pg = raw.driver_connection
        assert pg is not None
        register_vector(pg)
        columns = "id, camera_id, captured_at, embedding, embedding_model, quality"
        with pg.cursor() as cur:
            for lo, chunk in corpus.chunks():
                with cur.copy(f"COPY face_embeddings ({columns}) FROM STDIN (FORMAT BINARY)") as cp:
                    cp.set_types(["uuid", "text", "timestamptz", "vector", "text", "float8"])
                    for i, vec in enumerate(chunk, lo):
                        when = EPOCH + timedelta(seconds=30 * i)
                        camera = f"site{i % 8}-cam{i % 64 // 8}"
                        cp.write_row((row_id(i), camera, when, vec, EMBEDDING_MODEL, 0.9))
                pg.commit()
                done = lo + len(chunk)
                rate = done / (time.monotonic() - t0)
                progress(f"  faces stored: {done:,}/{corpus.faces:,} ({rate:,.0f}/s)")
    finally:
        raw.close()
    with db.engine.begin() as conn:
        # marks what is stored, so a later run with --data-dir reuses only the same corpus
        conn.execute(text(f"COMMENT ON TABLE face_embeddings IS '{_signature(corpus)}'"))


def build_index(db: Database, params: IndexParams, *, maintenance_mem: str, workers: int) -> None:
    """(Re)build the HNSW index with `params`, logging progress every 30 s."""
    definition = params.definition()
    progress(f"  {definition}…")
    t0 = time.monotonic()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch_build, args=(db, stop, t0), daemon=True)
    watcher.start()
    try:
        with db.engine.begin() as conn:
            conn.execute(text(f"DROP INDEX IF EXISTS {INDEX}"))
            conn.execute(text(f"SET maintenance_work_mem = '{maintenance_mem}'"))
            conn.execute(text(f"SET max_parallel_maintenance_workers = {int(workers)}"))
            conn.execute(text(definition))
            conn.execute(text("ANALYZE face_embeddings"))
    finally:
        stop.set()
        watcher.join()
    progress(f"  index built in {time.monotonic() - t0:,.0f} s")


def _watch_build(db: Database, stop: threading.Event, t0: float) -> None:
    query = text(
        "SELECT phase, tuples_done, tuples_total FROM pg_stat_progress_create_index "
        "WHERE relid = 'face_embeddings'::regclass"
    )
    while not stop.wait(30):
        with db.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is not None:
            progress(f"  … {time.monotonic() - t0:,.0f} s: {row[0]} {row[1]:,}/{row[2]:,}")


@dataclass(frozen=True, slots=True)
class SearchRun:
    """Latency (ms, through FaceSearch: SQL + rows) and recall@k of one search setting."""

    label: str
    p50_ms: float
    p99_ms: float
    recall: float


def measure(
    search: FaceSearch, label: str, probes: Vectors, truth: npt.NDArray[np.int64], k: int
) -> SearchRun:
    """Run every probe once through `search` (after a short warm-up); time and score it."""
    for probe in probes[: min(5, len(probes))]:
        search.by_vector(probe, limit=k, cameras=None)
    times: list[float] = []
    hits = 0
    for probe, want in zip(probes, truth, strict=True):
        t = time.perf_counter()
        found = search.by_vector(probe, limit=k, cameras=None)
        times.append(1000 * (time.perf_counter() - t))
        got = {uuid.UUID(m.id).int - 1 for m in found}
        hits += len(got & set(want.tolist()))
    return SearchRun(
        label,
        nearest_rank(times, 0.5, 2),
        nearest_rank(times, 0.99, 2),
        round(hits / truth.size, 4),
    )


def exact_database(url: str) -> Database:
    """A pool whose sessions never use index scans: ORDER BY distance is a full scan."""
    parsed = make_url(url)
    options = " ".join(
        filter(None, [str(parsed.query.get("options", "")), "-c enable_indexscan=off"])
    )
    return Database(
        parsed.update_query_dict({"options": options}).render_as_string(False),
        statement_timeout_s=None,  # full scans of a million vectors
    )


@dataclass(frozen=True, slots=True)
class FaceFigures:
    """What `run_faces` measured: one HNSW run per ef_search, and the exact anchor."""

    faces: int
    corpus: str
    index: IndexParams
    queries: int
    build_s: float | None  # None when an existing index was reused
    hnsw: list[tuple[int, SearchRun]]
    exact: SearchRun


def _holds(db: Database, corpus: FaceCorpus) -> bool:
    """Whether the database already holds exactly this corpus (from an earlier run)."""
    with db.engine.connect() as conn:
        mark = conn.execute(text("SELECT obj_description('face_embeddings'::regclass)")).scalar()
        rows = conn.execute(text("SELECT count(*) FROM face_embeddings")).scalar_one()
    return mark == _signature(corpus) and rows == corpus.faces


def run_faces(
    url: str,
    faces: int,
    *,
    queries: int,
    exact_queries: int,
    ef_search: list[int],
    maintenance_mem: str,
    workers: int,
    corpus_kind: Corpus = "structured",
    index: IndexParams | None = None,
    k: int = 10,
) -> FaceFigures:
    """Store (or reuse, when the database already holds exactly this corpus) `faces` faces,
    then measure HNSW search per `ef_search` and exact search on the same probes."""
    db = Database(url, statement_timeout_s=None)  # bulk loads and the HNSW build take minutes
    corpus = FaceCorpus(faces, kind=corpus_kind)
    params = index or IndexParams()
    build_s: float | None = None
    try:
        if _holds(db, corpus):
            progress(f"reusing the {faces:,} faces already stored; regenerating them for the truth")
            for _ in corpus.chunks():
                pass
        else:
            progress(f"storing {faces:,} clustered 512-d faces ({corpus_kind})…")
            load(db, corpus)
        if _index_definition(db) != params.definition():
            t0 = time.monotonic()
            build_index(db, params, maintenance_mem=maintenance_mem, workers=workers)
            build_s = round(time.monotonic() - t0, 1)
        probes = corpus.probes(queries)
        progress(f"exact top-{k} of {queries} probes with numpy…")
        truth = corpus.exact_top(probes, k)
        runs = []
        for ef in ef_search:
            run = measure(FaceSearch(db, ef_search=ef), f"hnsw ef_search={ef}", probes, truth, k)
            progress(f"  {run}")
            runs.append((ef, run))
        exact_db = exact_database(url)
        try:
            n = min(exact_queries, queries)
            exact = measure(
                FaceSearch(exact_db, ef_search=None), "exact (seq scan)", probes[:n], truth[:n], k
            )
            progress(f"  {exact}")
        finally:
            exact_db.dispose()
    finally:
        db.dispose()
    return FaceFigures(faces, corpus_kind, params, queries, build_s, runs, exact)
