"""Repair what a killed process left in the staging directory.

A segment being written when the process died is a fragmented MP4 cut short: the GOPs
before the cut are intact, the last fragment may be truncated. `salvage_segment` remuxes
(stream copy) the intact packets into a clean file, so what is stored always plays to its
end; a file with nothing playable is dropped, and its time stays a gap in the index.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import av
import av.error

logger = logging.getLogger(__name__)

_STAMP = r"(\d{8}T\d{6}\.\d{6})Z\.mp4"
# Errors that say "not now" (the disk is full or read-only), not "this file is broken".
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


@dataclass(frozen=True, slots=True)
class Salvaged:
    """A repaired segment: its media duration (seconds) and keyframe count."""

    duration_s: float
    keyframes: int
    packets: int


def leftover_segments(staging_dir: Path, camera_id: str) -> Iterator[tuple[Path, datetime]]:
    """This camera's segment files in `staging_dir`, oldest first, with their UTC start."""
    pattern = re.compile(re.escape(camera_id) + "-" + _STAMP)
    found: list[tuple[datetime, Path]] = []
    with contextlib.suppress(FileNotFoundError):
        for path in staging_dir.iterdir():
            m = pattern.fullmatch(path.name)
            if m is not None:
                start = datetime.strptime(m.group(1), "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
                found.append((start, path))
    for start, path in sorted(found):
        yield path, start


def salvage_segment(path: Path) -> Salvaged | None:
    """Rewrite `path` in place with only its intact packets; None (file removed) if there
    were none. Packets after the first demux error, and a last packet cut short, are lost.
    Raises OSError, leaving `path` as it was, when the disk has no room for the repaired
    copy (full, over quota, read-only): try again once it has."""
    repaired = path.with_name(path.name + ".repair")
    packets = keyframes = 0
    first_dts: int | None = None
    end_ticks = 0
    try:
        with av.open(str(path)) as src:
            if not src.streams.video:
                raise av.error.InvalidDataError(0, "no video stream")
            stream = src.streams.video[0]
            with av.open(str(repaired), "w", format="mp4") as dst:
                out = dst.add_stream_from_template(stream)
                for packet in _intact_packets(src, stream):
                    if packets == 0 and not packet.is_keyframe:
                        continue  # undecodable without the keyframe before it
                    assert packet.dts is not None
                    if first_dts is None:
                        first_dts = packet.dts
                    end_ticks = packet.dts - first_dts + (packet.duration or 0)
                    keyframes += int(packet.is_keyframe)
                    packets += 1
                    packet.stream = out
                    dst.mux_one(packet)
            time_base = stream.time_base
    except OSError as err:
        if err.errno in _NO_ROOM:
            with contextlib.suppress(OSError):
                repaired.unlink(missing_ok=True)
            raise
        _unreadable(path, err)
        packets, time_base = 0, None
    except av.error.FFmpegError as err:
        _unreadable(path, err)
        packets = 0
        time_base = None
    if packets == 0 or time_base is None:
        repaired.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        return None
    repaired.replace(path)
    return Salvaged(float(end_ticks * time_base), keyframes, packets)


def _unreadable(path: Path, err: Exception) -> None:
    logger.warning("cannot read leftover segment %s: %s", path.name, err)


def _intact_packets(
    src: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.Packet[Any]]:
    """Packets with data up to the first demux error; the last one is dropped when the
    file ends inside it (a short read)."""
    previous: av.Packet[Any] | None = None
    try:
        for packet in src.demux(stream):
            if packet.size == 0 or packet.dts is None:
                continue  # the flush packet at the end of demux
            if previous is not None:
                yield previous
            previous = packet
    except av.error.FFmpegError as err:
        logger.info("leftover segment cut short (%s): keeping what came before", err.strerror)
        previous = None  # it may be the damaged one
    if previous is not None and not previous.is_corrupt:
        yield previous
