"""Live video and playback on a whole site (DVR simulator child + Vigil as `vigil up` runs it):
live HLS that advances and decodes, WebRTC to an aiortc client carrying the camera's H.264,
and (in Chromium, with hls.js) live HLS playing and recorded playback across a gap.

One site for the module; the tests run in order (the gap test stops the DVR for a while).
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from aiortc.sdp import SessionDescription
from playwright.sync_api import Page

from tests.integration.media.browser import media_page
from tests.support.site import RunningSite, running_site, wait_for
from tests.support.webrtc import loopback_ice, open_viewer

pytestmark = pytest.mark.slow
CAM = "gate"


@pytest.fixture(scope="module")
def site() -> Iterator[RunningSite]:
    # Not under pytest's basetemp: a concurrent pytest run resets it to 0700, which locks
    # out the embedded PostgreSQL's own user.
    data = Path(tempfile.mkdtemp(prefix="vigil-media-site-"))
    try:
        with loopback_ice(), running_site(data, channels=1) as s:
            yield s
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _sequence(playlist: str) -> int:
    match = re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", playlist)
    assert match, playlist
    return int(match.group(1))


def _names(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _rolled(playlist: str) -> str | None:
    return playlist if _sequence(playlist) >= 2 else None


def _last_number(playlist: str) -> int:
    return int(_names(playlist)[-1].rsplit("-", 1)[1].split(".")[0])


def test_live_endpoint_and_hls_playlist_advance_and_segments_decode(site: RunningSite) -> None:
    live = wait_for(
        "live HLS to start",
        lambda: (b := site.api("GET", f"/api/v1/cameras/{CAM}/live").json())["hls_ready"] and b,
        60,
    )
    assert live["webrtc"] == f"/api/v1/cameras/{CAM}/webrtc"
    assert live["streams"] == ["main", "sub"] and live["status"] == "online"

    first = site.api("GET", live["hls"])
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert first.headers["cache-control"] == "no-cache"
    assert "#EXT-X-TARGETDURATION:1" in first.text
    time.sleep(3)
    second = site.api("GET", live["hls"]).text
    assert _last_number(second) >= _last_number(first.text) + 2  # ~1 s segments
    base = live["hls"].rsplit("/", 1)[0]
    oldest = _names(first.text)[0]
    # A rolling window: once about 6 segments are listed, the oldest go (from the disk too).
    second = wait_for(
        "the live playlist to roll",
        lambda: _rolled(site.api("GET", live["hls"]).text),
        20,
    )
    assert oldest not in second
    wait_for(
        "the oldest live segment to be deleted",
        lambda: site.api("GET", f"{base}/{oldest}").status_code == 404,
        20,
    )
    names = _names(second)
    assert 3 <= len(names) <= 7
    init = re.search(r'#EXT-X-MAP:URI="([^"]+)"', second)
    assert init is not None
    data = (
        site.api("GET", f"{base}/{init.group(1)}").content
        + site.api("GET", f"{base}/{names[-2]}").content
    )
    with av.open(io.BytesIO(data)) as container:
        frames = list(container.decode(video=0))
    assert frames[0].key_frame and frames[0].width == 960 and frames[0].height == 1080
    assert 20 <= len(frames) <= 30  # one GOP of the 25 fps main stream: a stream copy


async def _webrtc_frames(site: RunningSite, stream: str, count: int) -> tuple[str, list[Any]]:
    pc, sdp, track = await open_viewer(site, CAM, stream)
    try:
        frames = [await asyncio.wait_for(track.recv(), 15) for _ in range(count)]
    finally:
        await pc.close()
    return sdp, frames


def test_webrtc_carries_the_cameras_h264_to_an_aiortc_client(site: RunningSite) -> None:
    sdp, frames = asyncio.run(_webrtc_frames(site, "sub", 30))
    (video,) = [m for m in SessionDescription.parse(sdp).media if m.kind == "video"]
    codecs = {c.mimeType for c in video.rtp.codecs} - {"video/rtx"}
    assert codecs == {"video/H264"}  # never VP8: the camera's packets, not a re-encode
    # The sub stream's own size, frame after frame.
    assert {(f.width, f.height) for f in frames} == {(352, 288)}
    sdp, frames = asyncio.run(_webrtc_frames(site, "main", 5))
    assert {(f.width, f.height) for f in frames} == {(960, 1080)}
    wait_for(
        "the WebRTC viewers to be released",
        lambda: site.api("GET", f"/api/v1/cameras/{CAM}/live").json()["webrtc_viewers"] == 0,
        15,
    )


def test_webrtc_refuses_an_offer_without_h264_video(site: RunningSite) -> None:
    r = site.api(
        "POST", f"/api/v1/cameras/{CAM}/webrtc", json={"sdp": "v=0\r\nnot sdp", "type": "offer"}
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("sdp:")
    r = site.api("POST", "/api/v1/cameras/nope/webrtc", json={"sdp": "v=0", "type": "offer"})
    assert r.status_code == 404


def _video_time(page: Page, element_id: str) -> float:
    return float(page.evaluate(f"document.getElementById('{element_id}')?.currentTime ?? 0"))


def test_chromium_plays_live_hls_and_webrtc(site: RunningSite) -> None:
    token = site.token()
    with media_page(site.url) as page:
        page.evaluate(
            "([url, token]) => playHls('hls', url, token)",
            [f"/api/v1/cameras/{CAM}/hls/live.m3u8", token],
        )
        page.evaluate(
            "([url, token]) => playWebRtc('rtc', url, token, 'sub')",
            [f"/api/v1/cameras/{CAM}/webrtc", token],
        )
        page.wait_for_function(
            "() => document.getElementById('hls').currentTime > 2"
            " && document.getElementById('rtc').currentTime > 2",
            timeout=40_000,
        )
        sizes = page.evaluate(
            "['hls', 'rtc'].map(id => [document.getElementById(id).videoWidth,"
            " document.getElementById(id).videoHeight])"
        )
        assert sizes == [[960, 1080], [352, 288]]
        assert page.evaluate("window.hlsErrors.filter(e => e.includes('fatal'))") == []


def test_chromium_plays_recordings_across_a_gap(site: RunningSite) -> None:
    before = wait_for("a recorded segment", lambda: _segments(site), 60)[-1]
    # The DVR goes away for a few seconds: the camera reconnects and the recordings have a gap.
    site.simulator.kill()
    time.sleep(4)
    site.simulator.start()
    after = wait_for(
        "a segment recorded after the outage",
        lambda: [s for s in _segments(site) if s["start"] > before["end"]],
        90,
    )[0]
    # From 3 s before the first recording, as "the last 5 minutes" often asks.
    start = datetime.fromisoformat(_segments(site)[0]["start"]) - timedelta(seconds=3)
    end = datetime.fromisoformat(after["end"])
    integrity = site.api("GET", "/api/v1/recordings/integrity").json()[0]
    gaps = [
        g for g in integrity["gaps"] if g["start"] >= before["end"] and g["end"] <= after["start"]
    ]
    assert len(gaps) == 1 and gaps[0]["seconds"] >= 3
    vod = site.api(
        "GET",
        f"/api/v1/recordings/{CAM}/vod.m3u8",
        params={"start": start.isoformat(), "end": end.isoformat()},
    ).text
    assert vod.count("#EXT-X-GAP") == 1  # the outage (the playlist starts at a recording)
    first = datetime.fromisoformat(_segments(site)[0]["start"])  # media time 0
    gap_end_s = (datetime.fromisoformat(after["start"]) - first).total_seconds()
    with media_page(site.url) as page:
        page.evaluate(
            "([url, token]) => playHls('vod', url, token)",
            [f"/api/v1/recordings/{CAM}/vod.m3u8?start={_q(start)}&end={_q(end)}", site.token()],
        )
        page.wait_for_function(
            "() => document.getElementById('vod').currentTime > 1", timeout=30_000
        )
        # From just before the gap: playback jumps the hole and goes on in the next recording.
        before_gap_s = (datetime.fromisoformat(before["end"]) - first).total_seconds() - 1.5
        page.evaluate(f"document.getElementById('vod').currentTime = {before_gap_s}")
        page.wait_for_function(
            f"() => document.getElementById('vod').currentTime > {gap_end_s + 1.5}", timeout=40_000
        )
        assert page.evaluate("window.hlsErrors.filter(e => e.includes('fatal'))") == []


def _q(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _segments(site: RunningSite) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = site.api(
        "GET",
        "/api/v1/recordings",
        params={"camera_id": CAM, "start": _q(now - timedelta(hours=1)), "end": _q(now)},
    ).json()
    return rows
