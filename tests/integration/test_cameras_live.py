"""A running site (real simulator) takes cameras added, changed and deleted through the API
without a restart: the new camera goes online and records, a new channel restarts it, a new
name does not, and deleting it stops it while its recordings stay listed. Its WebRTC viewers
are closed when it moves to another source, and the next one watches the new source."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection
from aiortc.mediastreams import MediaStreamError

from tests.support.site import RunningSite, running_site, wait_for
from tests.support.webrtc import loopback_ice, open_viewer
from vigil.clock import SystemClock
from vigil.media.webrtc import WebRtcRelay

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


T = TypeVar("T")


class Viewer:
    """A WebRTC viewer (aiortc) on its own event loop, which outlives each call."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.pcs: list[RTCPeerConnection] = []

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(60)

    def watch(self, site: RunningSite, camera_id: str) -> MediaStreamTrack:
        """A viewer of `camera_id`'s sub stream that has received frames."""
        return self.run(self._watch(site, camera_id))

    async def _watch(self, site: RunningSite, camera_id: str) -> MediaStreamTrack:
        pc, _, track = await open_viewer(site, camera_id, "sub")
        self.pcs.append(pc)
        for _ in range(3):
            await asyncio.wait_for(track.recv(), 15)
        return track

    def ended(self, track: MediaStreamTrack) -> bool:
        """Whether the track ends (the server closed it) within 20 s."""

        async def drain() -> bool:
            try:
                while True:
                    await track.recv()
            except MediaStreamError:
                return True

        try:
            return self.run(asyncio.wait_for(drain(), 20))
        except TimeoutError:
            return False

    def close(self) -> None:
        for pc in self.pcs:
            self.run(pc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)


@pytest.fixture
def viewer() -> Iterator[Viewer]:
    found = Viewer()
    try:
        with loopback_ice():
            yield found
    finally:
        found.close()


def _relay(site: RunningSite) -> WebRtcRelay:
    assert site.vigil is not None and site.vigil.media is not None
    return site.vigil.media.webrtc


def test_a_camera_added_changed_and_deleted_while_the_site_runs(
    tmp_path: Path, viewer: Viewer
) -> None:
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
        assert ACTIVE in site.api("GET", "/metrics").text

        watching = viewer.watch(site, "yard")
        assert "channel=2" in (_relay(site).source_url("yard", "sub") or "")

        first = _worker(site)
        moved = site.api("PATCH", "/api/v1/cameras/yard", json={"channel": 3})
        assert moved.status_code == 200 and moved.json()["channel"] == 3
        # Its live viewer was watching channel 2: closed, and the next one watches channel 3.
        assert _relay(site).viewers("yard") == 0
        assert viewer.ended(watching), "the viewer of the old channel was not closed"
        viewer.watch(site, "yard")
        assert "channel=3" in (_relay(site).source_url("yard", "sub") or "")
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
        assert _relay(site).viewers("yard") == 0  # a deleted camera has no viewers left
        wait_for("its worker stopped", lambda: _worker(site) is None, 15)
        assert site.api("GET", "/api/v1/cameras/yard").status_code == 404
        assert _segments(site, "yard"), "the deleted camera's recordings stay listed"
        assert ACTIVE not in site.api("GET", "/metrics").text
        assert site.camera("gate")["status"] == "online"  # the file's camera ran throughout
