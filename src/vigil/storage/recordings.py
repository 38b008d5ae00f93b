"""Where recorded video lives, named in one place for the edge that writes it and the media
code that serves it (which must not need PyAV): segment objects in the `video-segments` bucket,
and the files of a camera's live HLS playlist."""

from __future__ import annotations

import re
from datetime import UTC, datetime

BUCKET = "video-segments"
# Live HLS: the playlist, its init segment and its media segments, and nothing else is served.
PLAYLIST = "live.m3u8"
FILE_NAME_RE = re.compile(r"^(?:live\.m3u8|init-[0-9]{1,9}\.mp4|seg-[0-9]{1,9}-[0-9]{1,12}\.m4s)$")


def segment_key(camera_id: str, start: datetime) -> str:
    """Object key of the segment whose first packet was captured at `start`."""
    t = start.astimezone(UTC)
    return f"{camera_id}/{t:%Y/%m/%d/%H}/{camera_id}-{t:%Y%m%dT%H%M%S.%f}Z.mp4"
