"""WebRTC for tests: ICE kept on loopback, and an aiortc viewer of a running site's camera."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import aioice.ice
import httpx
import pytest
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription

from tests.support.site import RunningSite


@contextlib.contextmanager
def loopback_ice() -> Iterator[None]:
    """ICE offers only 127.0.0.1 (the site's and the viewers'), as the test box may have no
    other interface; aioice has no setting for it."""
    mp = pytest.MonkeyPatch()
    mp.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    try:
        yield
    finally:
        mp.undo()


async def open_viewer(
    site: RunningSite, camera_id: str, stream: str
) -> tuple[RTCPeerConnection, str, MediaStreamTrack]:
    """An aiortc viewer of `camera_id`'s `stream`, offered to the site's API: (its connection,
    the site's answer SDP, the video track once it arrives). Close the connection when done."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    tracks: asyncio.Queue[MediaStreamTrack] = asyncio.Queue()
    pc.on("track", tracks.put_nowait)
    await pc.setLocalDescription(await pc.createOffer())
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        r = await client.post(
            f"/api/v1/cameras/{camera_id}/webrtc",
            json={"sdp": pc.localDescription.sdp, "type": "offer", "stream": stream},
            headers={"Authorization": f"Bearer {site.token()}"},
        )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["type"] == "answer"
    await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
    try:
        track = await asyncio.wait_for(tracks.get(), 15)
    except BaseException:
        await pc.close()
        raise
    return pc, answer["sdp"], track
