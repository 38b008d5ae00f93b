"""Live HLS of one camera from the packets the recorder gets: stream copy, no re-encode.

`LiveHlsWriter` muxes copies of the camera's video packets with FFmpeg's `hls` muxer into
`live_dir`: `live.m3u8` (about `list_size` segments), `init-<gen>.mp4` and
`seg-<gen>-<n>.m4s` fMP4 segments of `segment_s` (cut on keyframes, so a 25-frame GOP at
25 fps gives 1 s segments); old segments are deleted by the muxer. `<gen>` counts the
writer's (re)openings, so a player never mixes an old init segment with new media;
the media sequence and timestamps keep rising across reopenings.

It must never disturb recording: every error is caught, logged (at most once per
`_LOG_EVERY_S`), counted in `errors`, and the writer is closed and reopened at the next
keyframe. Not thread-safe: the camera's worker thread owns it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import shutil
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.container
from av.packet import Packet
from av.video.stream import VideoStream

from vigil.storage.recordings import PLAYLIST

logger = logging.getLogger(__name__)

DEFAULT_SEGMENT_S = 1.0
DEFAULT_LIST_SIZE = 6
# Every file the writer produces matches this; the API serves nothing else.
_LOG_EVERY_S = 30.0
_OUT_TIME_BASE = Fraction(1, 90_000)


class LiveHlsWriter:
    """Writes a rolling fMP4 HLS playlist of one camera into `live_dir`.

    Call `begin(stream)` per connection, `write(packet)` for each video packet *before* the
    recorder consumes it (the packet is copied, never changed), `close()` when the
    connection ends. Nothing raises: failures are counted in `errors`.
    """

    def __init__(
        self,
        camera_id: str,
        live_dir: Path,
        *,
        segment_s: float = DEFAULT_SEGMENT_S,
        list_size: int = DEFAULT_LIST_SIZE,
    ) -> None:
        self.camera_id = camera_id
        self.live_dir = live_dir
        self.segment_s = segment_s
        self.list_size = list_size
        self.errors = 0
        self.packets_written = 0
        self._template: VideoStream | None = None
        self._in_time_base = _OUT_TIME_BASE
        self._frame_ticks = 3600  # output ticks per frame (25 fps until told otherwise)
        self._output: av.container.OutputContainer | None = None
        self._stream: VideoStream | None = None
        self._generation = 0
        self._next_sequence = 0
        self._opened_at = 0  # output ticks at the current opening's first packet
        self._offset = 0  # output ts = input ts * scale + offset
        self._last_dts: int | None = None  # output ticks
        self._last_log_s = -_LOG_EVERY_S

    def begin(self, stream: VideoStream) -> None:
        """A new connection; the muxer opens at its first keyframe."""
        self.close()
        self._template = stream
        self._in_time_base = stream.time_base or _OUT_TIME_BASE
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if rate:
            self._frame_ticks = max(1, round(1 / (rate * _OUT_TIME_BASE)))

    def write(self, packet: Packet[Any]) -> None:
        """Add a copy of `packet` to the live playlist; never raises."""
        try:
            self._write(packet)
        except Exception as err:  # live view must never stop recording
            self._failed(err)

    def close(self) -> None:
        """Finish the playlist of this connection (the files stay until the next opening)."""
        output, self._output, self._stream = self._output, None, None
        if output is not None:
            try:
                output.close()
            except Exception as err:
                self._failed(err)

    # -- internals ------------------------------------------------------------------------

    def _write(self, packet: Packet[Any]) -> None:
        if self._template is None or packet.dts is None or packet.size == 0:
            return
        if self._output is None:
            if not packet.is_keyframe:
                return  # a player cannot start before a keyframe
            self._open(packet)
        assert self._stream is not None and self._output is not None
        dts = self._ticks(packet.dts)
        pts = self._ticks(packet.pts) if packet.pts is not None else dts
        if self._last_dts is not None and dts <= self._last_dts:
            # A camera clock reset or a reordered packet: continue one frame on.
            shift = self._last_dts + self._frame_ticks - dts
            self._offset += shift
            dts, pts = dts + shift, pts + shift
        copy = Packet(bytes(packet))
        copy.dts, copy.pts = dts, max(pts, dts)
        copy.duration = self._frame_ticks
        copy.is_keyframe = packet.is_keyframe
        copy.time_base = _OUT_TIME_BASE
        copy.stream = self._stream
        self._output.mux_one(copy)
        self._last_dts = dts
        self.packets_written += 1

    def _ticks(self, ts: int) -> int:
        return round(ts * self._in_time_base / _OUT_TIME_BASE) + self._offset

    def _open(self, packet: Packet[Any]) -> None:
        assert packet.dts is not None and self._template is not None
        self._generation += 1
        if self._last_dts is not None:
            # Segments the last opening can have made at most (the files may be gone):
            # the numbering goes on after them, so a player never sees a number again.
            made_s = (self._last_dts - self._opened_at) * float(_OUT_TIME_BASE)
            self._next_sequence += math.ceil(made_s / self.segment_s) + 1
            self._opened_at = self._last_dts  # counted once, even if this opening fails
        if self._generation == 1:
            # Leftovers of an earlier run: a player must not see them as current.
            shutil.rmtree(self.live_dir, ignore_errors=True)
        else:
            self._remove_old_files()
        self.live_dir.mkdir(parents=True, exist_ok=True)
        # Timestamps continue where the previous opening stopped, so players keep going.
        start = 0 if self._last_dts is None else self._last_dts + self._frame_ticks
        self._offset = 0
        self._offset = start - self._ticks(packet.dts)
        self._opened_at = start
        gen = self._generation
        output = av.open(
            str(self.live_dir / PLAYLIST),
            mode="w",
            format="hls",
            options={
                "hls_time": f"{self.segment_s:g}",
                "hls_list_size": str(self.list_size),
                "hls_segment_type": "fmp4",
                "hls_fmp4_init_filename": f"init-{gen}.mp4",
                "hls_segment_filename": str(self.live_dir / f"seg-{gen}-%d.m4s"),
                "hls_flags": "delete_segments+independent_segments+temp_file+omit_endlist",
                "start_number": str(self._next_sequence),
                "hls_delete_threshold": "2",
            },
        )
        try:
            stream = output.add_stream_from_template(self._template)
            stream.time_base = _OUT_TIME_BASE
        except Exception:
            output.close()
            raise
        self._output, self._stream = output, stream
        logger.info("camera %s: live HLS (generation %d) in %s", self.camera_id, gen, self.live_dir)

    def _remove_old_files(self) -> None:
        """Files of earlier generations; the sequence number continues after their last."""
        if not self.live_dir.is_dir():
            return
        for path in self.live_dir.glob("seg-*.m4s"):
            match = re.fullmatch(r"seg-[0-9]+-([0-9]+)\.m4s", path.name)
            if match:
                self._next_sequence = max(self._next_sequence, int(match.group(1)) + 1)
        for path in self.live_dir.iterdir():
            if path.name != PLAYLIST:
                with contextlib.suppress(OSError):
                    path.unlink()

    def _failed(self, err: Exception) -> None:
        self.errors += 1
        now_s = time.monotonic()
        if now_s - self._last_log_s >= _LOG_EVERY_S:
            self._last_log_s = now_s
            logger.warning(
                "camera %s: live HLS failed (%d errors so far; reopening at the next keyframe):"
                " %s: %s",
                self.camera_id,
                self.errors,
                type(err).__name__,
                err,
            )
        output, self._output, self._stream = self._output, None, None
        if output is not None:
            with contextlib.suppress(Exception):
                output.close()
