"""Playback of recordings: an HLS VOD playlist over a time range and its segments (with HTTP
Range, as hls.js fetches byte ranges)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import FileResponse

from vigil.api.deps import CurrentUser, Services
from vigil.api.routers.cameras import visible_camera
from vigil.api.routers.live import media_of
from vigil.api.schemas import ErrorBody
from vigil.errors import NotFoundError, VigilError
from vigil.media.video import vod_playlist
from vigil.model.times import Instant
from vigil.storage.base import ByteRange, RangeNotSatisfiableError
from vigil.storage.recordings import BUCKET

router = APIRouter(prefix="/recordings", tags=["playback"])

MAX_VOD_RANGE = timedelta(hours=24)
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class BadPlaybackRangeError(VigilError):
    status_code = 422


class UnsatisfiableRangeError(VigilError):
    status_code = 416


@router.get(
    "/{camera_id}/vod.m3u8",
    response_class=Response,
    responses={
        200: {
            "content": {"application/vnd.apple.mpegurl": {}},
            "description": "HLS VOD playlist",
        },
        404: {"model": ErrorBody},
    },
)
async def vod(
    camera_id: str,
    services: Services,
    user: CurrentUser,
    start: Annotated[Instant, Query(description="From (ISO 8601 with offset).")],
    end: Annotated[Instant, Query(description="To (ISO 8601 with offset); at most 24 h on.")],
) -> Response:
    """An HLS VOD playlist of the recordings in [start, end): each 10 s segment with its
    EXT-X-PROGRAM-DATE-TIME, holes between recordings as EXT-X-GAP entries (media time
    follows wall time from the first recording in the range on)."""
    cam = visible_camera(services, user, camera_id)
    if start.tzinfo is None or end.tzinfo is None:
        raise BadPlaybackRangeError("start and end need a UTC offset, e.g. 2026-11-29T10:00:00Z")
    if end <= start:
        raise BadPlaybackRangeError("end must be after start")
    if end - start > MAX_VOD_RANGE:
        hours = (end - start) / timedelta(hours=1)
        raise BadPlaybackRangeError(
            f"a playlist may span at most 24 h; this one spans {hours:.1f} h"
        )
    segments = await media_of(services).recordings.vod(cam.id, start, end)
    if not segments:
        raise NotFoundError(f"camera {cam.id!r} has no recordings in this range")
    return Response(
        vod_playlist(segments),
        media_type="application/vnd.apple.mpegurl",
        headers={"Cache-Control": "no-cache"},
    )


@router.get(
    "/{camera_id}/segments/{segment_id}",
    response_class=Response,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The recorded fMP4 segment"},
        206: {"content": {"video/mp4": {}}, "description": "The requested byte range"},
        404: {"model": ErrorBody},
        416: {"model": ErrorBody, "description": "The Range lies outside the file"},
    },
)
async def segment(
    camera_id: str,
    segment_id: Annotated[int, Path(ge=1, le=2**62)],
    request: Request,
    services: Services,
    user: CurrentUser,
) -> Response:
    """One recorded segment (fragmented MP4); honours a single `Range: bytes=a-b`."""
    cam = visible_camera(services, user, camera_id)
    recordings = media_of(services).recordings
    key, _ = await recordings.segment(cam.id, segment_id)
    headers = {"Cache-Control": "private, max-age=3600", "Accept-Ranges": "bytes"}
    local = recordings.store.local_path(BUCKET, key)
    if local is not None:
        return FileResponse(local, media_type="video/mp4", headers=headers)
    # S3: only the bytes asked for (hls.js asks fragment by fragment), off the event loop.
    byte_range = _byte_range(request.headers.get("range"))
    store = recordings.store
    if byte_range is None:
        data = await asyncio.to_thread(store.get_bytes, BUCKET, key)
        return Response(data, media_type="video/mp4", headers=headers)
    try:
        data, first, size = await asyncio.to_thread(store.get_range, BUCKET, key, byte_range)
    except RangeNotSatisfiableError as err:
        raise UnsatisfiableRangeError(str(err)) from err
    return Response(
        data,
        206,
        media_type="video/mp4",
        headers={**headers, "Content-Range": f"bytes {first}-{first + len(data) - 1}/{size}"},
    )


def _byte_range(header: str | None) -> ByteRange | None:
    """The one byte range of a `Range: bytes=a-b` header; None for none (or one ignored)."""
    match = _RANGE_RE.match(header.strip()) if header else None
    if match is None or not (match.group(1) or match.group(2)):
        return None
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(2)) if match.group(2) else None
    return ByteRange(first, last)
