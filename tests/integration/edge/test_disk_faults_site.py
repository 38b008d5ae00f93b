"""A full and then a read-only recordings disk, for real: a whole site (the DVR simulator, Vigil
as `vigil up` runs it, cameras in an ingest child process) records onto a 64 MB tmpfs; the
database stays on the ordinary disk.

Full: a filler file takes the last byte, so segment writes hit ENOSPC. Read-only: a
read-only bind mount over the tmpfs (a tmpfs with a file open for writing refuses a plain
`remount,ro`, and the recorder always has one open), so that every new open, rename and
delete gets EROFS, as on a disk the kernel remounted read-only. Each time the user sees the
error in the camera's status and in the log, the metric counts it, the disk alert is raised
through the alert service and resolved when writes work again, recording resumes, and the
gap is bounded and indexed with its cause; no segment recorded before is lost.

The recorder alone is also run on a tiny tmpfs: what it wrote of a segment before the disk
filled is kept, and no stored segment claims seconds its file does not hold.

Needs root (or CAP_SYS_ADMIN) for `mount`. About 80 s.
"""

from __future__ import annotations

import errno
import logging
import re
import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import pytest

from tests.support.mounts import read_only, tmpfs
from tests.support.site import RunningSite, running_site, wait_for
from tests.unit.edge.edge_clips import FPS, feed_clip, inspect_segment, make_clip
from vigil.clock import FakeClock
from vigil.edge.recorder import SegmentRecorder
from vigil.model.messages import SegmentInfo
from vigil.storage import FsObjectStore
from vigil.storage.recordings import BUCKET

pytestmark = pytest.mark.slow

CAMERA = "gate"
SEGMENT_S = 4.0
_DISK_WATCH_S = 10.0  # the runtime's disk watch period
_SLACK_S = 3.0


def fill(path: Path, leave_bytes: int = 0) -> Path:
    """Grow a filler file until `path`'s filesystem has only `leave_bytes` free (0: full)."""
    filler = path / "filler"
    with filler.open("ab", buffering=0) as fh:
        while (room := shutil.disk_usage(path).free - leave_bytes) > 0:
            try:
                if not fh.write(b"\0" * min(room, 1 << 20)):
                    break
            except OSError as err:
                assert err.errno == errno.ENOSPC, err
                break
    return filler


def segments(site: RunningSite, since: datetime) -> list[dict[str, Any]]:
    r = site.api(
        "GET",
        "/api/v1/recordings",
        params={
            "camera_id": CAMERA,
            "start": since.isoformat(),
            "end": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    r.raise_for_status()
    rows: list[dict[str, Any]] = r.json()
    return rows


def into_segment(site: RunningSite, since: datetime, offset_s: float) -> datetime:
    """Wait until `offset_s` after the next segment cut (seen as a new indexed segment);
    returns the start of the segment then being written (the new one's end)."""
    count = len(segments(site, since))
    while len(rows := segments(site, since)) == count:
        time.sleep(0.05)
    time.sleep(offset_s)
    return parse(rows[-1]["end"])


def camera_detail(site: RunningSite) -> str | None:
    detail: str | None = site.camera(CAMERA)["status_detail"]
    return detail


def disk_alerts(site: RunningSite, kind: str) -> list[dict[str, Any]]:
    r = site.api("GET", "/api/v1/alerts", params={"camera_id": "demo", "limit": 100})
    r.raise_for_status()
    return [a for a in r.json()["items"] if a["type"] == f"edge_disk_{kind}"]


def recording_errors(site: RunningSite) -> float:
    text = site.api("GET", "/metrics").text
    m = re.search(r'^recording_errors_total\{camera="gate"\} (\S+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


def parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_disk_full_then_read_only_on_a_real_filesystem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="vigil.edge.recorder")
    data = tmp_path / "data"
    data.mkdir()
    with tmpfs(tmp_path / "rec", 64) as rec:
        for name in ("objects", "staging"):  # the recordings; data/pg stays on the real disk
            (rec / name).mkdir()
            (data / name).symlink_to(rec / name)
        recording = {"segment_s": SEGMENT_S, "min_free_percent": 0, "ingest_processes": 1}
        with running_site(data, channels=1, recording=recording) as site:
            t0 = datetime.now(UTC) - timedelta(minutes=1)
            wait_for("two segments indexed", lambda: len(segments(site, t0)) >= 2, 90)
            errors_before = recording_errors(site)

            # -- disk full, 3 s into a segment (whose first GOPs are then on disk) ------
            fill(rec, leave_bytes=8 << 20)  # most of it now, the rest in an instant below
            cut_short = into_segment(site, t0, 2.5)
            filler = fill(rec)
            full_at = datetime.now(UTC)
            detail = wait_for(
                "the camera to report it cannot record",
                lambda: (d := camera_detail(site)) and "No space left on device" in d and d,
                30,
            )
            assert detail.startswith("not recording:")
            assert site.camera(CAMERA)["status"] == "online"  # the stream itself is fine
            [full_alert] = wait_for(
                "the disk-full alert", lambda: disk_alerts(site, "full"), _DISK_WATCH_S + 20
            )
            assert full_alert["status"] == "new" and full_alert["severity"] == "critical"
            assert "No space left on device" in full_alert["details"]["detail"]
            assert recording_errors(site) > errors_before
            assert any("No space left on device" in r.getMessage() for r in caplog.records), (
                "the log says why segments are lost"
            )
            before_fault = segments(site, t0)

            filler.unlink()  # space comes back
            freed_at = datetime.now(UTC)
            wait_for(
                "the disk-full alert to resolve",
                lambda: disk_alerts(site, "full")[0]["status"] == "resolved",
                _DISK_WATCH_S + 20,
            )
            wait_for(
                "a segment recorded after space came back",
                lambda: any(parse(s["start"]) > freed_at for s in segments(site, t0)),
                30,
            )
            wait_for("the camera status to clear", lambda: camera_detail(site) is None, 20)

            # -- read-only ------------------------------------------------------------------
            errors_before = recording_errors(site)
            ro_at = datetime.now(UTC)
            with read_only(rec):
                wait_for(
                    "the camera to report the read-only disk",
                    lambda: "Read-only file system" in (camera_detail(site) or ""),
                    30,
                )
                [ro_alert] = wait_for(
                    "the read-only alert",
                    lambda: disk_alerts(site, "read_only"),
                    _DISK_WATCH_S + 20,
                )
                assert ro_alert["status"] == "new"
                assert recording_errors(site) > errors_before
            rw_at = datetime.now(UTC)
            wait_for(
                "the read-only alert to resolve",
                lambda: disk_alerts(site, "read_only")[0]["status"] == "resolved",
                _DISK_WATCH_S + 20,
            )
            wait_for(
                "a segment recorded after the disk became writable",
                lambda: any(parse(s["start"]) > rw_at for s in segments(site, t0)),
                30,
            )
            wait_for("the camera status to clear", lambda: camera_detail(site) is None, 20)
            final = segments(site, t0)
            r = site.api("GET", "/api/v1/recordings/integrity")
            r.raise_for_status()
            [integrity] = [c for c in r.json() if c["camera_id"] == CAMERA]
        for seg in final:  # every indexed segment plays from a keyframe and holds its span
            with av.open(str(rec / "objects" / "video-segments" / seg["key"])) as container:
                packets = [p for p in container.demux(container.streams.video[0]) if p.size]
            assert packets[0].is_keyframe
            assert abs(len(packets) / 25 - seg["duration_s"]) < 0.2, seg

    # nothing recorded before either fault was lost
    assert {s["key"] for s in before_fault} <= {s["key"] for s in final}
    assert len({s["key"] for s in final}) == len(final)
    # two bounded gaps, each inside its fault's window and indexed with its cause
    bound_full = (freed_at - full_at).total_seconds() + 2 * SEGMENT_S + _SLACK_S
    bound_ro = (rw_at - ro_at).total_seconds() + 2 * SEGMENT_S + _SLACK_S
    first_end = min(parse(s["end"]) for s in final)
    gaps = [g for g in integrity["gaps"] if parse(g["start"]) >= first_end]
    in_full = [
        g
        for g in gaps
        if full_at - timedelta(seconds=SEGMENT_S + 1) <= parse(g["start"]) < freed_at
    ]
    in_ro = [
        g for g in gaps if ro_at - timedelta(seconds=SEGMENT_S + 1) <= parse(g["start"]) < rw_at
    ]
    assert len(in_full) == 1 and in_full[0]["seconds"] <= bound_full, gaps
    # what the segment being written held before the disk filled was kept (its complete
    # GOPs, stored once space came back): only the GOP in flight and after is missing
    [kept] = [s for s in final if parse(s["start"]) == cut_short]
    assert 1.0 <= kept["duration_s"] <= SEGMENT_S - 0.5
    assert in_full[0]["start"] == kept["end"]
    assert "No space left on device" in in_full[0]["cause"]
    assert len(in_ro) == 1 and in_ro[0]["seconds"] <= bound_ro, gaps
    assert "Read-only file system" in in_ro[0]["cause"]
    assert len(gaps) == 2, gaps


@pytest.mark.parametrize(
    ("full_at_s", "kept_s"),
    [
        (15.5, 5.0),  # mid-segment: the next fragment write fails
        (19.5, 9.0),  # just before the cut: the last fragment's write fails at close,
        # which FFmpeg does not report (the file is then shorter than what was muxed)
    ],
)
def test_the_recorder_keeps_what_it_wrote_before_the_disk_filled(
    full_at_s: float, kept_s: float, tmp_path: Path
) -> None:
    """The recorder alone on a 4 MB tmpfs, fed a 35 s clip (1 s GOP, 10 s segments): the
    disk fills during the second segment and has room again at 25 s."""
    clip = make_clip(tmp_path / "clip.mp4")
    clock = FakeClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    with tmpfs(tmp_path / "rec", 4) as rec:
        store = FsObjectStore(rec / "objects")
        stored: list[SegmentInfo] = []
        problems: list[str | None] = []
        recorder = SegmentRecorder(
            "cam-1",
            store=store,
            staging_dir=rec / "staging",
            on_segment=stored.append,
            on_problem=problems.append,
        )

        def disk(i: int, packet: Any) -> Any:
            if i == round(full_at_s * FPS):
                fill(rec)
            elif i == 25 * FPS:
                (rec / "filler").unlink()
            return packet

        feed_clip(clip, clock=clock, recorder=recorder, alter=disk)
        files = {s.start: store.local_path(BUCKET, s.key) for s in stored}
        played = {start: inspect_segment(p) for start, p in files.items() if p is not None}
        leftovers = list((rec / "staging").iterdir())

    offsets = sorted(round((s.start - clock.now()).total_seconds()) for s in stored)
    assert offsets == [0, 10, 30]  # 20..30 was written while the disk was full: lost
    cut = next(s for s in stored if s.start == clock.now() + timedelta(seconds=10))
    assert cut.duration_s == pytest.approx(kept_s, abs=0.5)  # the GOP in flight is lost
    for seg in stored:  # each file holds exactly the seconds its index row claims
        assert played[seg.start].first_is_key
        assert played[seg.start].frames == round(seg.duration_s * FPS)
    assert problems[0] is not None and "No space left on device" in problems[0]
    assert problems[-1] is None and recorder.problem is None
    assert leftovers == []
