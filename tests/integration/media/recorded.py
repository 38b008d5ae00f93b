"""Real recorded segments for playback and export tests: a small H.264 clip encoded once
(libx264, GOP 25 at 25 fps, a moving bar so frames differ) is fed through the edge's own
`SegmentRecorder` into the object store and indexed by `EdgeIndexer`, as a site does."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from vigil.bus import MemoryBus
from vigil.db.session import Database
from vigil.edge.index import EdgeIndexer
from vigil.edge.recorder import SegmentRecorder
from vigil.model.messages import SegmentInfo
from vigil.storage import ObjectStore

FPS = 25
WIDTH, HEIGHT = 160, 96


def encode_clip(path: Path, seconds: float) -> Path:
    """An MP4 of `seconds` at 25 fps with a keyframe every 25 frames."""
    if path.exists():
        return path
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.options = {"g": "25", "keyint_min": "25", "sc_threshold": "0", "preset": "ultrafast"}
        for i in range(round(seconds * FPS)):
            img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
            x = (i * 3) % WIDTH
            img[:, x : x + 8] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def record(
    clip: Path,
    starts: list[datetime],
    *,
    camera_id: str,
    store: ObjectStore,
    db: Database,
    staging: Path,
) -> list[SegmentInfo]:
    """Record `clip` once from each wall-clock start (a reconnection between them, so the
    time between one pass's end and the next start is a real gap) and index the segments."""
    indexer = EdgeIndexer(MemoryBus(), db)
    stored: list[SegmentInfo] = []

    def on_segment(info: SegmentInfo) -> None:
        indexer.index_segment(info)
        stored.append(info)

    recorder = SegmentRecorder(camera_id, store=store, staging_dir=staging, on_segment=on_segment)
    for start in starts:
        with av.open(str(clip)) as inp:
            stream = inp.streams.video[0]
            recorder.begin(stream)
            tb = stream.time_base or Fraction(1, 90_000)
            for packet in inp.demux(stream):
                if packet.dts is None or packet.pts is None:
                    continue
                wall = start + timedelta(seconds=float(packet.pts * tb))
                recorder.write(packet, wall)
            recorder.finish()
    return stored
