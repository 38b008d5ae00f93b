"""Video for the dashboard: live HLS files, the VOD playlist over recorded segments, and the
layout of a recorded fMP4 segment (where its init boxes end and its fragments lie).

Recorded segments (edge/recorder.py) are fragmented MP4 files, each with its own `moov` and
timestamps starting at 0. The VOD playlist therefore gives every segment its own
`EXT-X-MAP` (a byte range over `ftyp`+`moov`), a byte range over its `moof`/`mdat`
fragments, an `EXT-X-DISCONTINUITY` (its timestamps restart) and its
`EXT-X-PROGRAM-DATE-TIME` (so a player maps media time to wall time); holes between
segments are `EXT-X-GAP` entries of the hole's length, so the media timeline keeps wall
time from the first recording on and a player skips the hole. Verified with hls.js in
Chromium (which plays across a gap between segments but not past one at the very start, so
the playlist begins at the first recording in the range).
"""

from __future__ import annotations

import asyncio
import math
import struct
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from vigil.clock import Clock
from vigil.config import SiteConfig
from vigil.db.session import Database
from vigil.db.tables import Segment
from vigil.db.tables.recordings import overlapping
from vigil.dvr.cpplus import MAIN_STREAM, SUB_STREAM
from vigil.dvr.site import camera_url
from vigil.edge.integrity import GAP_MIN_S
from vigil.errors import NotFoundError, VigilError
from vigil.media.exports import ExportService
from vigil.media.webrtc import DEFAULT_MAX_PEERS, StreamName, WebRtcRelay
from vigil.storage import ObjectStore
from vigil.storage.recordings import BUCKET, FILE_NAME_RE, PLAYLIST

HLS_CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
}
_LAYOUT_CACHE_SIZE = 50_000


class MediaUnavailableError(VigilError):
    status_code = 404


class BadSegmentError(VigilError):
    """A stored segment is not the fragmented MP4 the recorder writes."""

    status_code = 422


@dataclass(frozen=True, slots=True)
class Mp4Layout:
    """Byte offsets in a recorded segment: init = [0, init_size), fragments =
    [media_start, media_end) (every `moof`+`mdat`, without a trailing `mfra`)."""

    init_size: int
    media_start: int
    media_end: int


def mp4_layout(head: bytes | Path) -> Mp4Layout:
    """Walk the top-level boxes of an fMP4 file (a path, or its bytes)."""
    boxes: list[tuple[bytes, int, int]] = []
    if isinstance(head, Path):
        with head.open("rb") as fh:
            size_total = fh.seek(0, 2)
            offset = 0
            while offset + 8 <= size_total:
                fh.seek(offset)
                kind, size = _box_header(fh.read(16), offset, size_total)
                boxes.append((kind, offset, size))
                offset += size
    else:
        offset, size_total = 0, len(head)
        while offset + 8 <= size_total:
            kind, size = _box_header(head[offset : offset + 16], offset, size_total)
            boxes.append((kind, offset, size))
            offset += size
    moofs = [(o, s) for k, o, s in boxes if k == b"moof"]
    mdats = [(o, s) for k, o, s in boxes if k == b"mdat"]
    if not any(k == b"moov" for k, _, _ in boxes) or not moofs or not mdats:
        raise BadSegmentError("the segment is not a fragmented MP4 (no moov, moof or mdat box)")
    last_mdat = mdats[-1]
    return Mp4Layout(moofs[0][0], moofs[0][0], last_mdat[0] + last_mdat[1])


def _box_header(data: bytes, offset: int, total: int) -> tuple[bytes, int]:
    if len(data) < 8:
        raise BadSegmentError(f"truncated box header at byte {offset}")
    size, kind = struct.unpack(">I4s", data[:8])
    if size == 1:
        if len(data) < 16:
            raise BadSegmentError(f"truncated box header at byte {offset}")
        size = struct.unpack(">Q", data[8:16])[0]
    elif size == 0:
        size = total - offset
    if size < 8 or offset + size > total:
        if kind == b"mdat" or kind == b"moof":
            raise BadSegmentError(f"box {kind!r} at byte {offset} runs past the end of the file")
        size = total - offset  # a damaged trailer: stop here
    return kind, int(size)


@dataclass(frozen=True, slots=True)
class VodSegment:
    id: int
    key: str
    start: datetime
    end: datetime
    layout: Mp4Layout


def vod_playlist(segments: Sequence[VodSegment]) -> str:
    """An HLS VOD playlist of `segments` (oldest first, at least one); holes of at least
    `GAP_MIN_S` between them become EXT-X-GAP entries. It starts at the first recording and
    ends with the last: hls.js does not play past a gap at the very start."""
    lines: list[str] = []
    cursor: datetime | None = None
    longest = 1.0
    for seg in segments:
        hole_s = (seg.start - cursor).total_seconds() if cursor is not None else 0.0
        if cursor is not None and hole_s >= GAP_MIN_S:
            longest = max(longest, _gap(lines, cursor, hole_s))
        duration_s = max(0.001, (seg.end - seg.start).total_seconds())
        longest = max(longest, duration_s)
        lay = seg.layout
        if lines:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [
            f"#EXT-X-PROGRAM-DATE-TIME:{_iso(seg.start)}",
            f'#EXT-X-MAP:URI="segments/{seg.id}",BYTERANGE="{lay.init_size}@0"',
            f"#EXT-X-BYTERANGE:{lay.media_end - lay.media_start}@{lay.media_start}",
            f"#EXTINF:{duration_s:.3f},",
            f"segments/{seg.id}",
        ]
        cursor = seg.end if cursor is None else max(cursor, seg.end)
    head = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{math.ceil(longest)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    return "\n".join([*head, *lines, "#EXT-X-ENDLIST", ""])


def _gap(lines: list[str], at: datetime, seconds: float) -> float:
    """Add one EXT-X-GAP entry of `seconds` at `at`; return its length."""
    if lines:
        lines.append("#EXT-X-DISCONTINUITY")
    lines += [
        f"#EXT-X-PROGRAM-DATE-TIME:{_iso(at)}",
        "#EXT-X-GAP",
        f"#EXTINF:{seconds:.3f},",
        "gap.m4s",
    ]
    return seconds


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class LiveFiles:
    """The live HLS files the edge writes under `root/<camera_id>/`; only names the writer
    produces are served (anything else, a traversal included, is refused)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root.resolve() if root is not None else None

    def path(self, camera_id: str, name: str) -> Path:
        if not FILE_NAME_RE.fullmatch(name):
            raise NotFoundError(
                f"no live file {name!r}: names are live.m3u8, init-N.mp4 or seg-N-M.m4s"
            )
        if self.root is None:
            raise MediaUnavailableError("live HLS is not written on this server")
        path = self.root / camera_id / name
        if not path.is_file():
            if name == PLAYLIST:
                raise MediaUnavailableError(
                    f"camera {camera_id!r} has no live HLS yet (it starts at the first keyframe)"
                )
            raise NotFoundError(f"no live file {name!r} (old segments are deleted after ~6 s)")
        return path

    def ready(self, camera_id: str) -> bool:
        return self.root is not None and (self.root / camera_id / PLAYLIST).is_file()


class Recordings:
    """Recorded segments for playback: rows by id and range, and their byte layout (cached:
    segments never change once stored)."""

    def __init__(self, db: Database, store: ObjectStore) -> None:
        self._db = db
        self.store = store
        self._layouts: OrderedDict[str, Mp4Layout] = OrderedDict()
        self._lock = threading.Lock()

    async def segment(self, camera_id: str, segment_id: int) -> tuple[str, int]:
        """(object key, size) of one segment of `camera_id`."""
        return await asyncio.to_thread(self._segment, camera_id, segment_id)

    def _segment(self, camera_id: str, segment_id: int) -> tuple[str, int]:
        with self._db.session() as session:
            row = session.execute(
                select(Segment.key, Segment.size_bytes).where(
                    Segment.id == segment_id, Segment.camera_id == camera_id
                )
            ).first()
        if row is None:
            raise NotFoundError(f"no segment {segment_id} of camera {camera_id!r}")
        return row[0], row[1]

    async def vod(self, camera_id: str, start: datetime, end: datetime) -> list[VodSegment]:
        return await asyncio.to_thread(self._vod, camera_id, start, end)

    def _vod(self, camera_id: str, start: datetime, end: datetime) -> list[VodSegment]:
        with self._db.session() as session:
            rows = session.execute(
                select(Segment.id, Segment.key, Segment.start_at, Segment.end_at)
                .where(overlapping(camera_id, start, end))
                .order_by(Segment.start_at)
            ).all()
        out = []
        for seg_id, key, a, b in rows:
            layout = self._layout(key)
            if layout is not None:  # a segment lost from the store plays as a gap
                out.append(VodSegment(seg_id, key, a, b, layout))
        return out

    def _layout(self, key: str) -> Mp4Layout | None:
        with self._lock:
            cached = self._layouts.get(key)
        if cached is not None:
            return cached
        try:
            local = self.store.local_path(BUCKET, key)
            layout = mp4_layout(local if local is not None else self.store.get_bytes(BUCKET, key))
        except (VigilError, OSError):
            return None
        with self._lock:
            self._layouts[key] = layout
            while len(self._layouts) > _LAYOUT_CACHE_SIZE:
                self._layouts.popitem(last=False)
        return layout


def camera_stream_url(config: SiteConfig, camera_id: str, stream: StreamName) -> str:
    """RTSP URL of a camera's main or sub stream (a camera given by `url` has only that one).
    Holds the DVR password: log it only through `mask_url`."""
    return camera_url(
        config, config.camera(camera_id), SUB_STREAM if stream == "sub" else MAIN_STREAM
    )


@dataclass(frozen=True, slots=True)
class MediaServices:
    """What the video routes need: live HLS files, recorded segments, WebRTC and exports."""

    live: LiveFiles
    recordings: Recordings
    webrtc: WebRtcRelay
    exports: ExportService

    @classmethod
    def build(
        cls,
        config: SiteConfig,
        db: Database,
        store: ObjectStore,
        clock: Clock,
        *,
        live_dir: Path | None = None,
        max_webrtc_peers: int = DEFAULT_MAX_PEERS,
    ) -> MediaServices:
        return cls(
            live=LiveFiles(live_dir),
            recordings=Recordings(db, store),
            webrtc=WebRtcRelay(
                lambda cam, stream: camera_stream_url(config, cam, stream),
                max_peers=max_webrtc_peers,
            ),
            exports=ExportService(db, store, clock),
        )

    async def close(self) -> None:
        """Close WebRTC peers and cancel exports in progress (at shutdown)."""
        await self.webrtc.close()
        await self.exports.close()
