"""A running site (real simulator) takes cameras added, changed and deleted through the API
without a restart: the new camera goes online and records, a new channel restarts it, a new
name does not, and deleting it stops it while its recordings stay listed."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.site import RunningSite, running_site, wait_for
from vigil.clock import SystemClock

pytestmark = pytest.mark.slow
GATE = {"id": "gate", "name": "Main gate", "channel": 1}
ACTIVE = 'stream_active{camera="yard"}'


def _segments(site: RunningSite, camera_id: str) -> list[dict[str, Any]]:
    now = SystemClock().now()
    window = {"start": (now - timedelta(hours=1)).isoformat(), "end": now.isoformat()}
    r = site.api("GET", "/api/v1/recordings", params={"camera_id": camera_id, **window})
    r.raise_for_status()
    segments: list[dict[str, Any]] = r.json()
    return segments


def _worker(site: RunningSite) -> Any:
    assert site.vigil is not None
    return site.vigil.cameras.get("yard")


def _status(site: RunningSite) -> str:
    return str(site.camera("yard")["status"])


def test_a_camera_added_changed_and_deleted_while_the_site_runs(tmp_path: Path) -> None:
    # The simulator serves 3 channels; site.yaml uses only the first.
    with running_site(
        tmp_path / "site", channels=3, cameras=[GATE], recording={"segment_s": 2}
    ) as site:
        added = site.api(
            "POST", "/api/v1/cameras", json={"id": "yard", "name": "Yard", "channel": 2}
        )
        assert added.status_code == 201, added.text
        assert added.json()["source"] == "api"
        wait_for("the new camera online", lambda: _status(site) == "online", 30)
        wait_for("a segment of the new camera", lambda: _segments(site, "yard"), 30)
        assert ACTIVE in httpx.get(f"{site.url}/metrics").text

        first = _worker(site)
        moved = site.api("PATCH", "/api/v1/cameras/yard", json={"channel": 3})
        assert moved.status_code == 200 and moved.json()["channel"] == 3
        wait_for(
            "its worker restarted on channel 3",
            lambda: (w := _worker(site)) is not None and w is not first,
            15,
        )
        assert (
            "channel=3" in _worker(site).masked_url and "password=***" in _worker(site).masked_url
        )
        wait_for("online on channel 3", lambda: _status(site) == "online", 30)

        second = _worker(site)
        renamed = site.api("PATCH", "/api/v1/cameras/yard", json={"name": "Back yard"})
        assert renamed.json()["name"] == "Back yard"
        assert _worker(site) is second  # a new name restarts nothing

        assert site.api("DELETE", "/api/v1/cameras/yard").status_code == 204
        wait_for("its worker stopped", lambda: _worker(site) is None, 15)
        assert site.api("GET", "/api/v1/cameras/yard").status_code == 404
        assert _segments(site, "yard"), "the deleted camera's recordings stay listed"
        assert ACTIVE not in httpx.get(f"{site.url}/metrics").text
        assert site.camera("gate")["status"] == "online"  # the file's camera ran throughout
