"""`vigil bench scale` at a tiny size: face search over a few thousand clustered embeddings
in the test database, and the hub on a real broker (tansu) with one analytics worker and a
minute of one site's uplink backlog. Checks it produces its figures and that they add up."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from bench.scale import main
from sqlalchemy import text

from vigil.db.admin import drop_database
from vigil.db.session import Database


@pytest.fixture
def bench_db(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv(
        "VIGIL_BENCH_DATABASE_URL", db.engine.url.render_as_string(hide_password=False)
    )
    return db


def _figures(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    lines = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "scale"
    return dict(figures)


def test_face_search_figures_beside_exact_search(
    bench_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--skip-hub", "--faces", "3000", "--queries", "40", "--exact-queries", "10"]
    argv += ["--ef-search", "40,100", "--maintenance-mem", "256MB", "--build-workers", "0"]
    assert main(False, argv) == 0
    figures = _figures(capsys)
    assert figures["face_vectors"] == 3000
    assert figures["face_corpus"] == "structured"
    assert figures["face_queries"] == 40
    assert figures["face_ef_search"] in (40, 100)
    # the index finds nearly all of a small corpus's true neighbours; the sequential scan
    # in the database finds exactly those numpy computed
    assert isinstance(figures["face_recall_at_10"], float)
    assert figures["face_recall_at_10"] >= 0.9
    assert figures["anchor_exact_recall_at_10"] == 1.0
    assert 0 < figures["face_search_p50_ms"] <= figures["face_search_p99_ms"]  # type: ignore[operator]  # JSON numbers
    with bench_db.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM face_embeddings")).scalar_one()
        index = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"),
            {"n": "ix_face_embeddings_embedding_hnsw"},
        ).scalar_one()
    assert stored == 3000
    assert "hnsw" in index and "vector_cosine_ops" in index
    assert "m='32'" in index and "ef_construction='128'" in index


@pytest.fixture
def hub_database(pg_url: str) -> Iterator[str]:
    name = "vigil_bench_hub_n1"
    drop_database(pg_url, name)
    yield name
    drop_database(pg_url, name)


@pytest.mark.slow
def test_hub_throughput_and_backlog_drain_figures(
    bench_db: Database, hub_database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--skip-faces", "--workers", "1", "--steady-s", "4", "--flood-s", "4"]
    argv += ["--backlog-min", "1", "--segment-kb", "50"]
    assert main(False, argv) == 0
    figures = _figures(capsys)
    assert figures["n1_steady_published"] == 64 * 4
    assert figures["n1_flood_messages"] == 64 * 4
    assert figures["detections_per_s"] == figures["n1_capacity_detections_per_s"]
    assert figures["n1_capacity_detections_per_s"] > 0  # type: ignore[operator]  # JSON number
    assert figures["n1_steady_alerts_per_s"] > 0  # type: ignore[operator]  # JSON number
    # one minute of one site: 6 segments of each of 8 cameras, one incident per camera,
    # everything stored at the hub
    assert figures["backlog_segments"] == 48
    assert figures["backlog_hub_segments"] == 48
    assert figures["backlog_hub_events"] == 8
    assert figures["backlog_hub_alerts"] == 8
    assert figures["backlog_drain_s"] > 0  # type: ignore[operator]  # JSON number
