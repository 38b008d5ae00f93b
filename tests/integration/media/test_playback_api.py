"""Playback and clip export over real recorded segments (the edge's recorder, the store, the
index, PostgreSQL): the VOD playlist against the integrity API's gaps, segments with HTTP
Range, exports that decode and hash as recorded, verification of unaltered and altered
copies, and refused names and scopes."""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from tests.integration.media.recorded import encode_clip, record
from tests.support.api import NOW, Api, api_for_tests
from vigil.db.session import Database
from vigil.model.messages import SegmentInfo

CAM = "gate"
T0 = NOW - timedelta(minutes=5)
SECOND_PASS = T0 + timedelta(seconds=60)  # the first pass ends at T0 + 24 s: a 36 s gap


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", seconds=24)


@pytest.fixture
def recorded(db: Database, tmp_path: Path, clip: Path) -> Iterator[tuple[Api, list[SegmentInfo]]]:
    with api_for_tests(db, tmp_path) as api:
        segments = record(
            clip,
            [T0, SECOND_PASS],
            camera_id=CAM,
            store=api.services.store,
            db=db,
            staging=tmp_path / "staging",
        )
        yield api, segments


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _playlist_entries(text: str) -> list[dict[str, Any]]:
    """Each media entry: its PDT, whether it is a gap, EXTINF, URI, byte ranges."""
    entries: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            current["pdt"] = datetime.fromisoformat(line.split(":", 1)[1])
        elif line == "#EXT-X-GAP":
            current["gap"] = True
        elif line.startswith("#EXT-X-MAP:"):
            current["map"] = line
        elif line.startswith("#EXT-X-BYTERANGE:"):
            length, offset = line.split(":", 1)[1].split("@")
            current["range"] = (int(offset), int(length))
        elif line.startswith("#EXTINF:"):
            current["seconds"] = float(line.split(":", 1)[1].rstrip(","))
        elif line and not line.startswith("#"):
            entries.append({**current, "uri": line})
            current = {}
    return entries


def test_vod_playlist_lists_the_segments_and_shows_gaps_where_integrity_has_them(
    recorded: tuple[Api, list[SegmentInfo]],
) -> None:
    api, segments = recorded
    headers = api.login("victor")
    start, end = T0 - timedelta(seconds=20), SECOND_PASS + timedelta(seconds=30)
    r = api.client.get(
        f"/api/v1/recordings/{CAM}/vod.m3u8",
        params={"start": _iso(start), "end": _iso(end)},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    text = r.text
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in text and text.rstrip().endswith("#EXT-X-ENDLIST")
    entries = _playlist_entries(text)
    media = [e for e in entries if not e.get("gap")]
    gaps = [e for e in entries if e.get("gap")]
    # Every recorded segment, in order, at its own wall-clock start.
    assert [e["pdt"] for e in media] == [s.start for s in segments]
    for entry, seg in zip(media, segments, strict=True):
        assert entry["seconds"] == pytest.approx(seg.duration_s, abs=0.002)
        assert re.fullmatch(r"segments/\d+", entry["uri"])
        assert f'URI="{entry["uri"]}",BYTERANGE=' in entry["map"]
    # The media timeline is wall time from the first recording to the end of the last.
    span_s = (segments[-1].end - segments[0].start).total_seconds()
    assert sum(e["seconds"] for e in entries) == pytest.approx(span_s, abs=0.01)
    assert not entries[0].get("gap") and not entries[-1].get("gap")

    integrity = api.client.get("/api/v1/recordings/integrity", headers=headers).json()
    (cam,) = [c for c in integrity if c["camera_id"] == CAM]
    recorded_gaps = [
        (datetime.fromisoformat(g["start"]), datetime.fromisoformat(g["end"]))
        for g in cam["gaps"]
        if datetime.fromisoformat(g["end"]) > T0
        and datetime.fromisoformat(g["start"]) < SECOND_PASS
    ]
    listed = [(g["pdt"], g["pdt"] + timedelta(seconds=g["seconds"])) for g in gaps]
    assert len(listed) == 1 and listed == recorded_gaps  # the hole between the two passes


def test_a_segment_is_served_whole_and_by_byte_range_and_its_ranges_decode(
    recorded: tuple[Api, list[SegmentInfo]],
) -> None:
    api, segments = recorded
    headers = api.login("victor")
    r = api.client.get(
        f"/api/v1/recordings/{CAM}/vod.m3u8",
        params={"start": _iso(T0), "end": _iso(T0 + timedelta(seconds=10))},
        headers=headers,
    )
    first = _playlist_entries(r.text)[0]
    url = f"/api/v1/recordings/{CAM}/{first['uri']}"
    whole = api.client.get(url, headers=headers)
    assert whole.status_code == 200 and whole.headers["accept-ranges"] == "bytes"
    assert len(whole.content) == segments[0].size_bytes
    init_len = int(re.search(r'BYTERANGE="(\d+)@0"', first["map"]).group(1))  # type: ignore[union-attr]
    offset, length = first["range"]
    init = api.client.get(url, headers={**headers, "Range": f"bytes=0-{init_len - 1}"})
    part = api.client.get(
        url, headers={**headers, "Range": f"bytes={offset}-{offset + length - 1}"}
    )
    assert init.status_code == part.status_code == 206
    assert (
        part.headers["content-range"]
        == f"bytes {offset}-{offset + length - 1}/{len(whole.content)}"
    )
    assert init.content + part.content == whole.content[: offset + length]
    # What hls.js appends (init + fragments) decodes to the segment's frames.
    with av.open(io.BytesIO(init.content + part.content)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == round(segments[0].duration_s * 25)


def test_playback_refuses_bad_ranges_other_cameras_and_unknown_segments(
    recorded: tuple[Api, list[SegmentInfo]],
) -> None:
    api, _ = recorded
    headers = api.login("victor")
    vod = f"/api/v1/recordings/{CAM}/vod.m3u8"
    too_long = {"start": _iso(T0), "end": _iso(T0 + timedelta(hours=25))}
    r = api.client.get(vod, params=too_long, headers=headers)
    assert r.status_code == 422 and "24 h" in r.json()["detail"]
    naive = {"start": "2026-11-02T17:00:00", "end": "2026-11-02T17:10:00"}
    r = api.client.get(vod, params=naive, headers=headers)
    assert r.status_code == 422 and "UTC offset" in r.json()["detail"]
    r = api.client.get("/api/v1/recordings/nope/vod.m3u8", params=too_long, headers=headers)
    assert r.status_code == 404
    assert (
        api.client.get(f"/api/v1/recordings/{CAM}/segments/999999", headers=headers).status_code
        == 404
    )
    # A segment of one camera is not reachable through another camera's URL.
    first = _playlist_entries(
        api.client.get(
            vod, params={"start": _iso(T0), "end": _iso(T0 + timedelta(seconds=5))}, headers=headers
        ).text
    )[0]
    other = api.client.get(f"/api/v1/recordings/perimeter-north/{first['uri']}", headers=headers)
    assert other.status_code == 404


def _wait_ready(api: Api, export_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        body: dict[str, Any] = api.client.get(
            f"/api/v1/exports/{export_id}", headers=headers
        ).json()
        if body["status"] != "pending":
            return body
        time.sleep(0.1)
    raise AssertionError(f"export {export_id} still pending after 30 s")


def test_export_is_a_stream_copy_covering_the_range_with_its_sha256_recorded(
    recorded: tuple[Api, list[SegmentInfo]], tmp_path: Path
) -> None:
    api, _ = recorded
    olga = api.login("olga")
    start, end = T0 + timedelta(seconds=5.5), T0 + timedelta(seconds=17)  # across a cut
    r = api.client.post(
        "/api/v1/exports",
        json={"camera_id": CAM, "start": _iso(start), "end": _iso(end)},
        headers=olga,
    )
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending"
    body = _wait_ready(api, r.json()["id"], olga)
    assert body["status"] == "ready", body["error"]

    download = api.client.get(body["download_url"], headers=olga)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    digest = hashlib.sha256(download.content).hexdigest()
    assert digest == body["sha256"] == download.headers["x-content-sha256"]
    assert len(download.content) == body["size_bytes"]

    clip = tmp_path / "export.mp4"
    clip.write_bytes(download.content)
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.width == 160
        packets = [p for p in container.demux(stream) if p.size]
    with av.open(str(clip)) as container:
        decoded = list(container.decode(video=0))
    # Starts at the keyframe at or before `start` (GOP 1 s: 5.0 s) and runs to `end`.
    assert packets[0].is_keyframe
    assert len(decoded) == pytest.approx((17 - 5.0) * 25, abs=2)

    # An unaltered copy is recognised; a single changed byte is not.
    r = api.client.post(
        "/api/v1/exports/verify", files={"file": ("copy.mp4", download.content)}, headers=olga
    )
    assert r.json() == {"matches": body["id"], "sha256": digest}
    altered = bytearray(download.content)
    altered[len(altered) // 2] ^= 0xFF
    r = api.client.post(
        "/api/v1/exports/verify", files={"file": ("copy.mp4", bytes(altered))}, headers=olga
    )
    assert r.json()["matches"] is None and r.json()["sha256"] != digest

    # Listed for its owner and the admin, written to the audit log, invisible to others.
    assert [e["id"] for e in api.client.get("/api/v1/exports", headers=olga).json()] == [body["id"]]
    admin = api.login("admin")
    assert body["id"] in [e["id"] for e in api.client.get("/api/v1/exports", headers=admin).json()]
    actions = [a["action"] for a in api.client.get("/api/v1/audit", headers=admin).json()["items"]]
    assert "export.create" in actions and "export.download" in actions
    api.services.users.create("otto", "other-operator-pw", "operator")
    otto = api.login("otto", "other-operator-pw")
    assert api.client.get(f"/api/v1/exports/{body['id']}", headers=otto).status_code == 404
    assert api.client.get("/api/v1/exports", headers=otto).json() == []


def test_export_refuses_ranges_without_recordings_and_too_long(
    recorded: tuple[Api, list[SegmentInfo]],
) -> None:
    api, _ = recorded
    olga = api.login("olga")
    empty = {
        "camera_id": CAM,
        "start": _iso(T0 - timedelta(hours=3)),
        "end": _iso(T0 - timedelta(hours=2)),
    }
    r = api.client.post("/api/v1/exports", json=empty, headers=olga)
    assert r.status_code == 422 and "no recordings" in r.json()["detail"]
    long = {"camera_id": CAM, "start": _iso(T0), "end": _iso(T0 + timedelta(hours=3))}
    r = api.client.post("/api/v1/exports", json=long, headers=olga)
    assert r.status_code == 422 and "at most 2 h" in r.json()["detail"]
    r = api.client.post("/api/v1/exports", json={**long, "camera_id": "nope"}, headers=olga)
    assert r.status_code == 404


TRAVERSALS = [
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "..%2Flive.m3u8",
    "live.m3u8.tmp",
    "init-1.mp4.bak",
    "%2Fetc%2Fpasswd",
    "seg-1-x.m4s",
    "%2E%2E",
]


def test_live_hls_serves_only_names_the_writer_makes(db: Database, tmp_path: Path) -> None:
    with api_for_tests(db, tmp_path) as api:
        headers = api.login("victor")
        for name in TRAVERSALS:
            r = api.client.get(f"/api/v1/cameras/{CAM}/hls/{name}", headers=headers)
            assert r.status_code in (400, 404), (name, r.status_code, r.text)
            assert "root:" not in r.text
        # A valid name before the camera has written anything: a clear 404.
        r = api.client.get(f"/api/v1/cameras/{CAM}/hls/live.m3u8", headers=headers)
        assert r.status_code == 404 and "live HLS" in r.json()["detail"]


def test_a_camera_outside_the_users_scope_does_not_exist_for_video(
    recorded: tuple[Api, list[SegmentInfo]],
) -> None:
    api, _ = recorded
    api.services.users.create("nina", "north-only-operator", "operator", ["perimeter-north"])
    nina = api.login("nina", "north-only-operator")
    window = {"start": _iso(T0), "end": _iso(T0 + timedelta(seconds=20))}
    calls = [
        ("GET", f"/api/v1/cameras/{CAM}/live", None),
        ("GET", f"/api/v1/cameras/{CAM}/hls/live.m3u8", None),
        ("POST", f"/api/v1/cameras/{CAM}/webrtc", {"sdp": "v=0", "type": "offer"}),
        (
            "GET",
            f"/api/v1/recordings/{CAM}/vod.m3u8?start={window['start']}&end={window['end']}",
            None,
        ),
        ("POST", "/api/v1/exports", {"camera_id": CAM, **window}),
    ]
    for method, url, body in calls:
        r = api.client.request(method, url, json=body, headers=nina)
        assert r.status_code == 404, (method, url, r.status_code)
        assert CAM in r.json()["detail"]
    # Her own camera answers.
    r = api.client.get("/api/v1/cameras/perimeter-north/live", headers=nina)
    assert r.status_code == 200 and r.json()["hls_ready"] is False
