"""`vigil bench ingest`: Vigil's edge ingest against the reference design, same content,
same run.

N simulated CP PLUS channels (960x1080, 25 fps, ~2 Mbps, GOP 25) from one simulator
process. Anchor: two ffmpeg processes per camera (`sides.AnchorSide`). Vigil: its edge
recording plus 1 fps frames (`sides.VigilSide`). For each, CPU-seconds per stream-minute
over a window after a warm-up, frames per camera, segments completed against expected, and
gaps; then the largest N each sustains (no lost segment, >= 90% of frames, no reconnect)
over `--sweep-s`. The simulator's own CPU is reported apart. The last line is JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.sides import SEGMENT_S, AnchorSide, Side, Snapshot, VigilSide
from vigil.dvr.cpplus import build_rtsp_url

_READY = re.compile(r"dvr-sim ready on rtsp://[^:]+:(\d+)")
_GAP_S = 0.5  # segments further apart than this (seconds) leave a gap
_MIN_FRAME_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class Measurement:
    side: str
    streams: int
    processes: int
    window_s: float
    cpu_s_per_stream_min: float
    sim_cpu_s_per_stream_min: float
    frames_per_stream_min: float
    segments_found: int
    segments_expected: int
    lost_segments: int
    reconnects: int
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0

    @property
    def sustained(self) -> bool:
        return (
            self.lost_segments == 0
            and self.reconnects == 0
            and self.frames_per_stream_min >= 60 * _MIN_FRAME_SHARE
        )


class Simulator:
    """`python -m vigil.dvr.simulator` as a child on a free port."""

    def __init__(
        self, channels: int, *, cache_dir: Path | None = None, duration_s: float | None = None
    ) -> None:
        self.channels = channels
        self._extra = [
            *(["--cache-dir", str(cache_dir)] if cache_dir is not None else []),
            *(["--duration-s", str(duration_s)] if duration_s is not None else []),
        ]
        self.password = secrets.token_urlsafe(9).replace("-", "x").replace("_", "y")
        self.port = 0
        self._proc: subprocess.Popen[str] | None = None

    def start(self, timeout_s: float = 900.0) -> None:
        """Start and wait for the ready line (the first run encodes the footage once)."""
        env = {**os.environ, "VIGIL_DVR_SIM_PASSWORD": self.password}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "vigil.dvr.simulator", "--port", "0",
             "--channels", str(self.channels), *self._extra],
            env=env, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self._proc.stderr is not None
        deadline = time.monotonic() + timeout_s
        for line in self._proc.stderr:
            if m := _READY.search(line):
                self.port = int(m.group(1))
                break
            if time.monotonic() > deadline:
                break
        if not self.port:
            self.stop()
            raise RuntimeError("the DVR simulator did not become ready")
        stderr = self._proc.stderr
        threading.Thread(target=lambda: [None for _ in stderr], daemon=True).start()

    def url(self, channel: int) -> str:
        return build_rtsp_url(
            "127.0.0.1", channel, 0, username="admin", password=self.password, port=self.port
        )

    def process(self) -> psutil.Process:
        assert self._proc is not None
        return psutil.Process(self._proc.pid)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


def _cpu_s(procs: list[psutil.Process]) -> dict[int, float]:
    out: dict[int, float] = {}
    for proc in procs:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        out[proc.pid] = t.user + t.system + t.children_user + t.children_system
    return out


def measure(
    side: Side, sim: Simulator, streams: int, out: Path, warmup_s: float, window_s: float
) -> Measurement:
    """Run `side` on channels 1..streams; measure over `window_s` after `warmup_s`."""
    urls = {f"cam{n:02d}": sim.url(n) for n in range(1, streams + 1)}
    side.start(urls, out)
    try:
        time.sleep(warmup_s)
        procs = side.processes()
        cpu0, sim0, snap0 = _cpu_s(procs), _cpu_s([sim.process()]), side.snapshot()
        rss0 = _rss_mb(procs)
        t0 = time.monotonic()
        time.sleep(window_s)
        cpu1, sim1 = _cpu_s(procs), _cpu_s([sim.process()])
        rss1 = _rss_mb(procs)
        elapsed = time.monotonic() - t0
        snap1 = side.snapshot()
    finally:
        side.stop()
    cpu = sum(cpu1.get(pid, cpu0[pid]) - cpu0[pid] for pid in cpu0)
    minutes = elapsed / 60
    found, lost = _segments(snap0, snap1, urls, elapsed)
    frames = sum(snap1.frames.get(c, 0) - snap0.frames.get(c, 0) for c in urls)
    reconnects = sum(snap1.reconnects.get(c, 0) - snap0.reconnects.get(c, 0) for c in urls)
    expected = max(0, math.floor(elapsed / SEGMENT_S) - 1) * streams
    return Measurement(
        side=side.name,
        streams=streams,
        processes=len(procs) if side.name == "vigil" else 2 * streams,
        window_s=round(elapsed, 1),
        cpu_s_per_stream_min=round(cpu / streams / minutes, 3),
        sim_cpu_s_per_stream_min=round(
            (sum(sim1.values()) - sum(sim0.values())) / streams / minutes, 3
        ),
        frames_per_stream_min=round(frames / streams / minutes, 1),
        segments_found=found,
        segments_expected=expected,
        lost_segments=lost,
        reconnects=reconnects,
        rss_start_mb=rss0,
        rss_end_mb=rss1,
    )


def _rss_mb(procs: list[psutil.Process]) -> float:
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return round(total / 2**20, 1)


def _segments(
    snap0: Snapshot, snap1: Snapshot, urls: dict[str, str], elapsed: float
) -> tuple[int, int]:
    """(segments completed in the window, segments lost: missing ones plus gaps)."""
    per_cam = max(0, math.floor(elapsed / SEGMENT_S) - 1)
    found = lost = 0
    for cam in urls:
        before = snap0.segments.get(cam, [])
        after = snap1.segments.get(cam, [])
        new = after[len(before) :]
        found += len(new)
        lost += max(0, per_cam - len(new))
        chain = after[max(0, len(before) - 1) :]
        for prev, seg in itertools.pairwise(chain):
            if seg.start_s - prev.end_s > _GAP_S:
                lost += math.ceil((seg.start_s - prev.end_s) / SEGMENT_S)
    return found, lost


def _parser(quick: bool) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="vigil bench ingest", description=__doc__)
    p.add_argument("--streams", type=int, default=4 if quick else 8, help="N for the cost figures")
    p.add_argument("--window-s", type=float, default=20 if quick else 60, help="cost window")
    p.add_argument("--warmup-s", type=float, default=5 if quick else 10, help="before measuring")
    p.add_argument(
        "--sweep", default="16" if quick else "16,32,48,64", help="Vigil N values to try, ascending"
    )
    p.add_argument(
        "--anchor-sweep", default="" if quick else "4,8,12,16", help="anchor N values to try"
    )
    p.add_argument("--sweep-s", type=float, default=25 if quick else 300, help="per N tried")
    p.add_argument(
        "--cameras-per-process",
        type=int,
        default=64,
        help="Vigil cameras per separate ingest program (one process holds 40 here; see README)",
    )
    p.add_argument(
        "--processes",
        type=_processes,
        default=None,
        help="run Vigil's ingest as a site does with recording.ingest_processes: N child "
        "processes of one ingest program (0: all in that program's process) or 'auto'; "
        "when given, --cameras-per-process is not used",
    )
    p.add_argument(
        "--soak-s", type=float, default=0 if quick else 1800, help="Vigil soak run (0: none)"
    )
    p.add_argument("--soak-streams", type=int, default=8, help="streams in the soak run")
    p.add_argument("--keep", action="store_true", help="keep the recordings directory")
    return p


def main(quick: bool, argv: list[str] | None = None) -> int:
    args = _parser(quick).parse_args(argv or [])
    ffmpeg = _ffmpeg()
    sweep = [int(v) for v in args.sweep.split(",") if v]
    anchor_sweep = [int(v) for v in args.anchor_sweep.split(",") if v]
    channels = max([args.streams, *sweep, *anchor_sweep, args.soak_streams])
    root = Path(tempfile.mkdtemp(prefix="vigil-bench-ingest-"))
    sim = Simulator(channels)
    _say(f"starting the simulator ({channels} channels)…")
    sim.start()
    rows: list[Measurement] = []
    try:
        for name in ("anchor", "vigil"):
            _say(f"{name}: {args.streams} streams, {args.window_s:.0f} s…")
            side = _side(name, ffmpeg, args.streams, args)
            out = root / f"{name}-{args.streams}"
            rows.append(measure(side, sim, args.streams, out, args.warmup_s, args.window_s))
        max_vigil = _sweep("vigil", sweep, ffmpeg, sim, root, args, rows)
        max_anchor = _sweep("anchor", anchor_sweep, ffmpeg, sim, root, args, rows)
        soak: Measurement | None = None
        if args.soak_s > 0:
            _say(f"vigil soak: {args.soak_streams} streams for {args.soak_s:.0f} s…")
            side = _side("vigil", ffmpeg, args.soak_streams, args)
            out = root / "vigil-soak"
            soak = measure(side, sim, args.soak_streams, out, args.warmup_s, args.soak_s)
            rows.append(soak)
    finally:
        sim.stop()
        if not args.keep:
            subprocess.run(["rm", "-rf", str(root)], check=False)
    anchor, vigil = rows[0], rows[1]
    if vigil.sustained:
        max_vigil = max(max_vigil or 0, vigil.streams)
    if anchor.sustained:
        max_anchor = max(max_anchor or 0, anchor.streams)
    _print_table(rows)
    ratio = vigil.cpu_s_per_stream_min / anchor.cpu_s_per_stream_min
    result = {
        "bench": "ingest",
        "streams": args.streams,
        "vigil_cpu_s_per_stream_min": round(vigil.cpu_s_per_stream_min, 2),
        "anchor_cpu_s_per_stream_min": round(anchor.cpu_s_per_stream_min, 2),
        "ratio": round(ratio, 3),
        "max_streams": max_vigil,
        "anchor_max_streams": max_anchor,
        # at the figures' N and in the soak; sweep steps past the limit lose segments by design
        "lost_segments": vigil.lost_segments + (soak.lost_segments if soak else 0),
        "simulator_cpu_s_per_stream_min": round(vigil.sim_cpu_s_per_stream_min, 3),
        "cpus": psutil.cpu_count(),
    }
    print(f"\nratio vigil/anchor CPU per stream: {ratio:.2f} (goal <= 0.35)")
    print(f"largest N sustained: vigil {max_vigil}, anchor {max_anchor} (goal: vigil >= 16)")
    if soak is not None:
        growth = soak.rss_end_mb - soak.rss_start_mb
        print(
            f"soak {soak.streams} streams {soak.window_s:.0f} s: segments "
            f"{soak.segments_found} found / {soak.segments_expected} expected, "
            f"{soak.lost_segments} lost, memory {soak.rss_start_mb:.0f} -> "
            f"{soak.rss_end_mb:.0f} MB ({growth:+.1f})"
        )
        result |= {
            "soak_s": soak.window_s,
            "soak_segments_found": soak.segments_found,
            "soak_segments_expected": soak.segments_expected,
            "soak_lost_segments": soak.lost_segments,
            "soak_rss_growth_mb": round(growth, 1),
        }
    print(json.dumps(result))
    return 0


def _sweep(
    name: str,
    values: list[int],
    ffmpeg: str,
    sim: Simulator,
    root: Path,
    args: argparse.Namespace,
    rows: list[Measurement],
) -> int | None:
    """Try each N in order; the largest sustained one (None if none was tried or held)."""
    best: int | None = None
    for n in values:
        _say(f"{name}: sustaining {n} streams for {args.sweep_s:.0f} s…")
        side = _side(name, ffmpeg, n, args)
        row = measure(side, sim, n, root / f"{name}-sweep-{n}", args.warmup_s, args.sweep_s)
        rows.append(row)
        if not row.sustained:
            break
        best = n
    return best


def _side(name: str, ffmpeg: str, streams: int, args: argparse.Namespace) -> Side:
    if name == "anchor":
        return AnchorSide(ffmpeg)
    if args.processes is not None:
        return VigilSide(processes=1, pool=args.processes)
    return VigilSide(processes=math.ceil(streams / max(1, args.cameras_per_process)))


def _processes(value: str) -> str:
    if value != "auto" and not (value.isdigit() and int(value) <= 256):
        raise argparse.ArgumentTypeError(f"expected 'auto' or a number 0-256, got {value!r}")
    return value


def _ffmpeg() -> str:
    import imageio_ffmpeg  # type: ignore[import-untyped]  # ships no type hints

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _print_table(rows: list[Measurement]) -> None:
    head = (
        f"{'side':<7}{'N':>4}{'procs':>6}{'window s':>9}{'CPU-s/stream-min':>18}"
        f"{'sim CPU-s/str-min':>18}{'frames/str-min':>15}{'segments':>12}{'lost':>6}"
        f"{'reconn':>7}{'RSS MB':>13}  sustained"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r.side:<7}{r.streams:>4}{r.processes:>6}{r.window_s:>9.0f}"
            f"{r.cpu_s_per_stream_min:>18.2f}{r.sim_cpu_s_per_stream_min:>18.2f}"
            f"{r.frames_per_stream_min:>15.1f}{f'{r.segments_found}/{r.segments_expected}':>12}"
            f"{r.lost_segments:>6}{r.reconnects:>7}"
            f"{f'{r.rss_start_mb:.0f}->{r.rss_end_mb:.0f}':>13}"
            f"  {'yes' if r.sustained else 'NO'}"
        )
