"""Event clips cut from recorded segments by stream copy, on a real database and store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vigil.alerts.clips import CLIPS, ClipMaker
from vigil.alerts.incidents import IncidentRecorder, alert_id_of
from vigil.bus import MemoryBus
from vigil.clock import FakeClock
from vigil.db.session import Database
from vigil.db.tables import Event, Segment
from vigil.model.messages import AlertRequest
from vigil.storage import FsObjectStore

T0 = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
FPS = 5


def _segment(path: Path, seconds: int) -> int:
    """An H.264 MP4 of `seconds` at 5 fps with a keyframe every second; returns packets."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.gop_size = FPS
        stream.codec_context.time_base = Fraction(1, FPS)
        n = 0
        for i in range(seconds * FPS):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), "rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
                n += 1
        for packet in stream.encode(None):
            out.mux(packet)
            n += 1
    return n


async def test_clip_spans_pre_and_post_seconds_across_segments(
    db: Database, tmp_path: Path
) -> None:
    clock = FakeClock(T0)
    store = FsObjectStore(tmp_path / "objects")
    bus = MemoryBus(clock)
    with db.session() as session:
        for i in range(3):  # 18:00:00-18:00:30 in three 10 s segments
            start = T0 + timedelta(seconds=10 * i)
            local = tmp_path / f"seg{i}.mp4"
            _segment(local, 10)
            key = f"gate/2026/11/02/18/gate-{i}.mp4"
            store.put_file("video-segments", key, local)
            session.add(
                Segment(
                    camera_id="gate",
                    key=key,
                    start_at=start,
                    end_at=start + timedelta(seconds=10),
                    duration_s=10.0,
                    size_bytes=local.stat().st_size,
                )
            )
        session.commit()
    recorder = IncidentRecorder(db, store, bus, clock)
    occurred = T0 + timedelta(seconds=14, milliseconds=500)
    await recorder.raise_alert(
        AlertRequest("clip/1", "gate", "zone_intrusion", "high", "Person", occurred)
    )
    maker = ClipMaker(db, store, bus, clock, pre_s=5, post_s=8)
    key = await maker.make(alert_id_of("clip/1"))
    assert key is not None

    with db.session() as session:
        assert session.query(Event.clip_key).one()[0] == key
    path = store.local_path(CLIPS, key)
    assert path is not None
    with av.open(str(path)) as clip:
        stream = clip.streams.video[0]
        assert stream.codec_context.name == "h264"  # copied, not re-encoded to anything else
        packets = [p for p in clip.demux(stream) if p.size]
        assert packets[0].is_keyframe
        # 9 s (the keyframe at 9.0 before 9.5) to 22.5 s: 13.5 s at 5 fps, ends inclusive
        assert 68 <= len(packets) <= 70  # and the B-frames' references after the end
        first, last = packets[0], packets[-1]
        assert first.pts is not None and last.pts is not None and stream.time_base
        span = float((last.pts - first.pts) * stream.time_base)
        assert 13.4 <= span <= 13.8


async def test_no_recording_no_clip(db: Database, tmp_path: Path) -> None:
    clock = FakeClock(T0)
    store = FsObjectStore(tmp_path / "objects")
    bus = MemoryBus(clock)
    await IncidentRecorder(db, store, bus, clock).raise_alert(
        AlertRequest("clip/2", "gate", "zone_intrusion", "high", "Person", T0)
    )
    assert await ClipMaker(db, store, bus, clock).make(alert_id_of("clip/2")) is None
