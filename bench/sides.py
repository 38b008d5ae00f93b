"""The two sides `vigil bench ingest` compares, each ingesting N simulator channels.

`AnchorSide`: the reference design, two ffmpeg processes per camera (stream-copy segmenter
and a 1 fps 640x640 MJPEG frame pipe). `VigilSide`: Vigil's edge ingest (`CameraWorker`:
one pull, stream-copy segments + keyframe decode) in `processes` child processes.
Both expose the same snapshot: frames and completed segments per camera so far.
"""

from __future__ import annotations

import contextlib
import csv
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, cast

import psutil

SEGMENT_S = 10.0


@dataclass(frozen=True, slots=True)
class Segment:
    """A completed segment: media span [start_s, end_s] (seconds) and when it completed."""

    start_s: float
    end_s: float


@dataclass(slots=True)
class Snapshot:
    """Totals so far, per camera id."""

    frames: dict[str, int] = field(default_factory=dict)
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    reconnects: dict[str, int] = field(default_factory=dict)


_WORKER = Path(__file__).with_name("ingest_worker.py")  # run by path: bench is no installed package


class Side(Protocol):
    name: str

    def start(self, urls: dict[str, str], out: Path) -> None: ...
    def processes(self) -> list[psutil.Process]: ...
    def snapshot(self) -> Snapshot: ...
    def stop(self) -> None: ...


def _terminate(procs: list[subprocess.Popen[bytes]], timeout_s: float = 15.0) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout_s
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class _JpegCounter(threading.Thread):
    """Reads an MJPEG pipe and counts images by their end-of-image marker (FF D9).

    0xFF inside JPEG entropy-coded data is always stuffed with 0x00, so FF D9 only
    appears as a marker; the previous chunk's last byte is kept for markers split
    across reads.
    """

    def __init__(self, pipe: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self._pipe = pipe
        self.count = 0

    def run(self) -> None:
        tail = b""
        read1 = cast(Any, self._pipe).read1  # a BufferedReader: read1 returns what is there
        while chunk := read1(1 << 16):
            data = tail + chunk
            self.count += data.count(b"\xff\xd9")
            tail = data[-1:] if data[-1:] == b"\xff" else b""


class AnchorSide:
    """`ffmpeg -c copy -f segment -segment_time 10` + `ffmpeg -vf fps=1,scale=640:640
    -f image2pipe -vcodec mjpeg -` per camera, as the reference design runs them."""

    name = "anchor"

    def __init__(self, ffmpeg: str) -> None:
        self._ffmpeg = ffmpeg
        self._procs: list[subprocess.Popen[bytes]] = []
        self._counters: dict[str, _JpegCounter] = {}
        self._lists: dict[str, Path] = {}

    def start(self, urls: dict[str, str], out: Path) -> None:
        base = [self._ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error"]
        src = ["-rtsp_transport", "tcp", "-i"]
        for cam, url in urls.items():
            cam_dir = out / cam
            cam_dir.mkdir(parents=True)
            self._lists[cam] = cam_dir / "segments.csv"
            record = [
                *base, *src, url, "-c", "copy", "-f", "segment",
                "-segment_time", str(int(SEGMENT_S)), "-reset_timestamps", "1",
                "-segment_list", str(self._lists[cam]), "-segment_list_type", "csv",
                str(cam_dir / "%05d.mp4"),
            ]  # fmt: skip
            frames = [
                *base, *src, url, "-vf", "fps=1,scale=640:640",
                "-f", "image2pipe", "-vcodec", "mjpeg", "-",
            ]  # fmt: skip
            log = (cam_dir / "ffmpeg.log").open("ab")
            self._procs.append(subprocess.Popen(record, stdout=subprocess.DEVNULL, stderr=log))
            proc = subprocess.Popen(frames, stdout=subprocess.PIPE, stderr=log)
            self._procs.append(proc)
            assert proc.stdout is not None
            counter = _JpegCounter(proc.stdout)
            counter.start()
            self._counters[cam] = counter

    def processes(self) -> list[psutil.Process]:
        return [psutil.Process(p.pid) for p in self._procs if p.poll() is None]

    def snapshot(self) -> Snapshot:
        snap = Snapshot()
        for cam, counter in self._counters.items():
            snap.frames[cam] = counter.count
            snap.segments[cam] = _read_csv_list(self._lists[cam])
            snap.reconnects[cam] = 0
        dead = sum(1 for p in self._procs if p.poll() is not None)
        if dead:  # ffmpeg has no reconnect: an exited process is a lost stream
            for cam in snap.reconnects:
                snap.reconnects[cam] = dead
        return snap

    def stop(self) -> None:
        _terminate(self._procs)
        self._procs.clear()


def _read_csv_list(path: Path) -> list[Segment]:
    """ffmpeg's segment list (file,start,end per completed segment; start/end in the
    stream's time, continuous even with -reset_timestamps)."""
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        return [Segment(float(row[1]), float(row[2])) for row in csv.reader(fh) if len(row) >= 3]


class VigilSide:
    """Vigil's edge ingest in `processes` children (`bench.ingest_worker`), cameras
    dealt round-robin; with `pool` ("N" or "auto") each runs an `IngestPool` of its own
    child processes, as `recording.ingest_processes` does (their CPU is counted too)."""

    name = "vigil"

    def __init__(self, processes: int, pool: str | None = None) -> None:
        self.process_count = processes
        self._pool = pool
        self._procs: list[subprocess.Popen[bytes]] = []
        self._out: Path | None = None

    def start(self, urls: dict[str, str], out: Path) -> None:
        self._out = out
        out.mkdir(parents=True, exist_ok=True)
        items = list(urls.items())
        n = max(1, min(self.process_count, len(items)))
        pool_arg = [self._pool] if self._pool is not None else []
        for i in range(n):
            part = dict(items[i::n])
            proc = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).with_name("ingest_worker.py")),
                    str(out),
                    *pool_arg,
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=(out / f"worker-{i}.log").open("ab"),
            )
            assert proc.stdin is not None
            proc.stdin.write(json.dumps(part).encode())
            proc.stdin.close()
            self._procs.append(proc)

    def processes(self) -> list[psutil.Process]:
        """The ingest programs and their pool children (if any)."""
        found: list[psutil.Process] = []
        for p in self._procs:
            if p.poll() is not None:
                continue
            proc = psutil.Process(p.pid)
            found.append(proc)
            with contextlib.suppress(psutil.Error):
                found.extend(proc.children(recursive=True))
        return found

    def snapshot(self) -> Snapshot:
        snap = Snapshot()
        assert self._out is not None
        for path in self._out.glob("frames-*.json"):
            try:
                body = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # being replaced; the next snapshot reads it
            snap.frames.update(body["frames"])
            snap.reconnects.update(body["reconnects"])
        for path in self._out.glob("segments-*.jsonl"):
            for line in path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except ValueError:
                    continue  # a line still being written
                snap.segments.setdefault(row["camera"], []).append(
                    Segment(row["start"], row["end"])
                )
        return snap

    def stop(self) -> None:
        _terminate(self._procs)
        self._procs.clear()
