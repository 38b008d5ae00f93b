"""GET /reports/heatmap: where people stood on one camera, counted on a grid over the frame."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.support.api import NOW, Api, api_for_tests
from vigil.auth.users import UserService
from vigil.db.session import Database
from vigil.model.detections import Detection
from vigil.model.incidents import Incident
from vigil.model.messages import Frame
from vigil.model.zones import Zone


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    with api_for_tests(db, tmp_path) as built:
        yield built


def _incident(camera_id: str, offset_s: int, *boxes: tuple[float, float, float, float]) -> Incident:
    when = NOW + timedelta(seconds=offset_s)
    zone = Zone("walkway", "Walkway", camera_id, ((0, 0), (1, 0), (1, 1), (0, 1)))
    return Incident(
        key=f"intrusion/{camera_id}/walkway/{when:%Y%m%dT%H%M%S}",
        rule_id="intrusion",
        rule_name="Person in the walkway",
        rule_type="zone_intrusion",
        camera_id=camera_id,
        camera_name=camera_id,
        zone=zone,
        severity="high",
        started_at=when,
        detections=tuple(Detection("person", 0.8, box) for box in boxes),
        frame=Frame(camera_id, when, 1, np.zeros((54, 96, 3), np.uint8)),
    )


async def test_people_are_counted_where_they_stand(api: Api) -> None:
    # Two people at the bottom right (feet at x .75, y .9), one at the top left (feet .1, .3).
    await api.recorder.record(_incident("gate", 0, (0.7, 0.5, 0.8, 0.9), (0.1, 0.1, 0.2, 0.3)))
    await api.recorder.record(_incident("gate", 60, (0.6, 0.6, 0.9, 0.95)))
    await api.recorder.record(_incident("perimeter-north", 60, (0.1, 0.1, 0.2, 0.3)))
    headers = api.login("victor")
    r = api.client.get(
        "/api/v1/reports/heatmap",
        params={"camera_id": "gate", "cols": 2, "rows": 2, "start": "2026-11-02T17:00:00Z",
                "end": "2026-11-02T19:00:00Z"},
        headers=headers,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["cells"] == [[1, 0], [0, 2]]
    assert (body["people"], body["events"], body["truncated"]) == (3, 2, False)
    # The default range is the 24 hours before now (the site clock): both events are in it.
    api.clock.advance(600)
    default = api.client.get(
        "/api/v1/reports/heatmap?camera_id=gate&cols=1&rows=1", headers=headers
    )
    assert default.status_code == 200, default.text
    assert default.json()["cells"] == [[3]]
    # Outside the range: nothing.
    later = api.client.get(
        "/api/v1/reports/heatmap",
        params={
            "camera_id": "gate",
            "start": "2026-11-03T00:00:00Z",
            "end": "2026-11-04T00:00:00Z",
        },
        headers=headers,
    )
    assert later.json()["people"] == 0 and sum(map(sum, later.json()["cells"])) == 0


def test_bad_ranges_and_unseen_cameras_are_refused_by_name(api: Api) -> None:
    UserService(api.db, api.clock).create(
        "nora", "north-only-password", "viewer", ["perimeter-north"]
    )
    headers = api.login("nora", "north-only-password")
    url = "/api/v1/reports/heatmap"
    hidden = api.client.get(url, params={"camera_id": "gate"}, headers=headers)
    assert hidden.status_code == 404 and "gate" in hidden.json()["detail"]
    assert api.client.get(url, params={"camera_id": "perimeter-north"}, headers=headers).is_success
    for params, words in (
        ({"start": "2026-11-02T10:00:00"}, "start: give a UTC offset"),
        ({"start": "2026-11-02T10:00:00Z", "end": "2026-11-02T09:00:00Z"}, "start must be before"),
        ({"start": "2026-09-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"}, "31 days"),
    ):
        r = api.client.get(url, params={"camera_id": "perimeter-north", **params}, headers=headers)
        assert r.status_code == 400 and words in r.json()["detail"], r.text
    assert (
        api.client.get(
            url, params={"camera_id": "perimeter-north", "cols": 0}, headers=headers
        ).status_code
        == 422
    )
