"""Recording integrity end to end: segments and state changes go through the indexer into
PostgreSQL; the API reports coverage and gaps with causes; the gap metric counts them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from tests.support.api import NOW, Api, api_for_tests
from vigil.db.session import Database
from vigil.edge.index import EdgeIndexer
from vigil.model.messages import CameraState, CameraStatus, SegmentInfo
from vigil.storage.recordings import segment_key


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def segment(camera: str, start_s: float, end_s: float) -> SegmentInfo:
    """A segment `start_s`..`end_s` seconds before NOW."""
    start = NOW - timedelta(seconds=start_s)
    return SegmentInfo(
        camera_id=camera,
        key=segment_key(camera, start),
        start=start,
        end=NOW - timedelta(seconds=end_s),
        size_bytes=1000,
        keyframe_count=10,
    )


def gap_total(camera: str) -> float:
    value = REGISTRY.get_sample_value("recording_gap_seconds_total", {"camera": camera})
    return value or 0.0


def test_integrity_reports_coverage_and_gaps_with_causes(api: Api) -> None:
    indexer = EdgeIndexer(api.services.bus, api.db)
    before = gap_total("gate")
    # gate: 30 min recorded, a 2-minute stall 40 min ago, then 10 min more
    stalled = CameraStatus(
        camera_id="gate",
        state=CameraState.RECONNECTING,
        detail="no video for 10 s (stream stalled)",
        changed_at=NOW - timedelta(minutes=40),
    )
    indexer.record_status(stalled)
    for k in range(180):  # 10 s segments from 70 min ago to 40 min ago
        indexer.index_segment(segment("gate", 4200 - 10 * k, 4190 - 10 * k))
    for k in range(60):  # resumed 38 min ago: 38..28 min ago
        indexer.index_segment(segment("gate", 2280 - 10 * k, 2270 - 10 * k))
    indexer.index_segment(segment("gate", 2280, 2270))  # redelivered: no double count
    headers = api.login("victor")

    r = api.client.get("/api/v1/recordings/integrity", headers=headers)
    assert r.status_code == 200, r.text
    gate = next(c for c in r.json() if c["camera_id"] == "gate")
    # the last hour: 60..40 and 38..28 minutes ago were recorded
    assert gate["coverage_hour_pct"] == pytest.approx(50.0)
    causes = [(g["seconds"], g["cause"]) for g in gate["gaps"]]
    assert (120.0, "reconnecting: no video for 10 s (stream stalled)") in causes
    assert gate["gaps"][-1]["seconds"] == pytest.approx(28 * 60)  # nothing since 28 min ago
    assert gate["recorded_day_s"] == pytest.approx(240 * 10)
    assert gap_total("gate") - before == pytest.approx(120.0)

    r = api.client.get(
        "/api/v1/recordings",
        params={
            "camera_id": "gate",
            "start": (NOW - timedelta(minutes=39)).isoformat(),
            "end": (NOW - timedelta(minutes=37)).isoformat(),
        },
        headers=headers,
    )
    assert r.status_code == 200, r.text
    rows = r.json()
    assert len(rows) == 6 and rows[0]["duration_s"] == 10.0  # recording resumed 38 min ago
    assert rows == sorted(rows, key=lambda row: row["start"])


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"camera_id": "nope", "start": NOW.isoformat(), "end": NOW.isoformat()}, 404),
        ({"camera_id": "gate", "start": NOW.isoformat(), "end": NOW.isoformat()}, 400),
        ({"camera_id": "gate", "start": "2026-11-02T10:00:00", "end": NOW.isoformat()}, 400),
    ],
)
def test_recordings_query_rejects_bad_requests(
    api: Api, params: dict[str, str], status: int
) -> None:
    r = api.client.get("/api/v1/recordings", params=params, headers=api.login("victor"))
    assert r.status_code == status, r.text
    assert r.json()["detail"]


def test_coverage_starts_when_the_camera_was_added(api: Api) -> None:
    """The cameras were added at NOW; 5 minutes on, 5 minutes of recordings are all there is
    to expect: no 23.9 h "edge not recording" gap before the camera existed."""
    indexer = EdgeIndexer(api.services.bus, api.db)
    api.clock.advance(300)
    for k in range(30):  # NOW .. NOW + 5 min, in 10 s segments
        indexer.index_segment(segment("gate", -10 * k, -10 * (k + 1)))
    r = api.client.get("/api/v1/recordings/integrity", headers=api.login("victor"))
    assert r.status_code == 200, r.text
    by_camera = {c["camera_id"]: c for c in r.json()}
    gate = by_camera["gate"]
    assert gate["expected_day_s"] == pytest.approx(300.0)
    assert gate["coverage_day_pct"] == pytest.approx(100.0)
    assert gate["coverage_hour_pct"] == pytest.approx(100.0)
    assert gate["gaps"] == []
    # A camera added with the site but never recorded: a gap since it was added, not 24 h.
    north = by_camera["perimeter-north"]
    assert north["expected_day_s"] == pytest.approx(300.0)
    assert [g["seconds"] for g in north["gaps"]] == [pytest.approx(300.0)]
