"""Stream-copy cutting of recorded segments (no re-encode): a time range of a camera's
segments remuxed into one MP4. Used by event clips (alerts) and clip exports (api).

A stream copy can only start on a keyframe: the cut starts at the last keyframe at or before
`start` (segments start on keyframes, so there is always one) and may begin up to a GOP
early. Timestamps follow wall time from the cut's first frame, so a hole in the recordings
shows as a held frame of the hole's length.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import av

from vigil.storage.base import ObjectStore

SEGMENTS = "video-segments"


def local_sources(
    store: ObjectStore, segments: Sequence[tuple[str, datetime]], tmp: Path
) -> list[tuple[Path, datetime]]:
    """Readable local files for `segments` ((key, wall-clock start) in the `video-segments`
    bucket): the stored file itself when the store is local, else a copy written under `tmp`."""
    sources = []
    for i, (key, start) in enumerate(segments):
        path = store.local_path(SEGMENTS, key)
        if path is None:
            path = tmp / f"segment-{i}.mp4"
            path.write_bytes(store.get_bytes(SEGMENTS, key))
        sources.append((path, start))
    return sources


def remux_range(
    sources: list[tuple[Path, datetime]], start: datetime, end: datetime, out: Path
) -> int:
    """Stream-copy the packets of `sources` (files with their wall-clock start, in order)
    from the last keyframe at or before `start` up to `end` into `out` (MP4, faststart);
    returns the packets written (0: nothing in the window, and no file). Only the GOP that
    contains `start` is held in memory."""
    span_s = (end - start).total_seconds()
    gop: list[tuple[float, Any]] = []  # before `start`: the GOP that contains it
    with contextlib.ExitStack() as stack:
        output: Any = None
        ostream: Any = None
        written, last, base = 0, -1, 0.0

        def emit(at: float, packet: Any, template: Any) -> None:
            nonlocal output, ostream, written, last, base
            if output is None:
                output = stack.enter_context(
                    av.open(str(out), "w", format="mp4", options={"movflags": "+faststart"})
                )
                ostream = output.add_stream_from_template(template)
                base = at
            dts = max(round((at - base) / float(packet.time_base)), last + 1)
            pts = dts + (packet.pts - packet.dts)
            packet.dts, packet.pts, last = dts, pts, dts
            packet.stream = ostream
            output.mux(packet)
            written += 1

        for path, seg_start in sources:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                tb = stream.time_base
                assert tb is not None
                first: int | None = None
                offset = (seg_start - start).total_seconds()
                for packet in container.demux(stream):
                    if packet.dts is None or packet.pts is None:
                        continue  # the demuxer's empty flush packet
                    first = packet.pts if first is None else first  # the segment start is shown
                    at = offset + float((packet.dts - first) * tb)  # decode time
                    shown = offset + float((packet.pts - first) * tb)  # presentation time
                    if at > span_s:
                        break  # decode order: frames shown before `end` keep their references
                    if output is None:
                        if shown <= 0:  # before `start`: keep only the GOP that holds it
                            if packet.is_keyframe:
                                gop = [(at, packet)]
                            elif gop:
                                gop.append((at, packet))
                            continue
                        if not gop and not packet.is_keyframe:
                            continue  # a cut cannot begin without a keyframe
                        for item_at, item in gop:
                            emit(item_at, item, stream)
                        gop = []
                    emit(at, packet, stream)
    return written
