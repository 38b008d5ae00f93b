"""Pre-encoded, loopable H.264 content for the simulator, encoded once and cached.

Geometry: the reference DVR records in "1080N", 960x1080: a 16:9 scene squeezed
to half width (pixels twice as tall as wide). So the source is centre-cropped to
16:9 and scaled anamorphically to 960x1080, which reproduces what Vigil will
receive from the real DVR (people look half as wide) with no black bars
wasting the detector's input. The sub stream gets the same picture at 352x288.

Timing: the source's frames are repeated (or dropped) to reach 25 fps (10 fps
vtest.avi: each frame 2 or 3 times). Every GOP is exactly `gop` frames with an
IDR and in-band SPS/PPS at its start, no B-frames and no scene-cut keyframes,
and the clip is a whole number of GOPs, so looping it stays decodable.

Files: raw Annex-B `.h264` with AUDs, named by source and parameters with a
hash of both, so changing either re-encodes. Written to a temporary name and
renamed, so concurrent preparers never see half a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from vigil.dvr.simulator.h264 import (
    NAL_PPS,
    NAL_SPS,
    H264Error,
    Sps,
    is_keyframe,
    nal_type,
    parse_sps,
    split_access_units,
    split_annexb,
)
from vigil.dvr.simulator.sources import FrameSource, RgbFrame, default_source
from vigil.errors import VigilError

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1  # bump when the encoding recipe changes in a way the key misses


class EncodeCancelledError(VigilError):
    """Content encoding was cancelled (the simulator was stopped while preparing)."""


@dataclass(frozen=True, slots=True)
class ContentSpec:
    """How one stream is encoded. Sizes in pixels, bitrate in bits per second."""

    width: int
    height: int
    fps: int = 25
    gop: int = 25
    bitrate_bps: int = 1_800_000
    preset: str = "veryfast"
    profile: str = "main"

    def x264_params(self) -> str:
        kbps = self.bitrate_bps // 1000
        return (
            f"keyint={self.gop}:min-keyint={self.gop}:scenecut=0:bframes=0:"
            f"repeat-headers=1:aud=1:vbv-maxrate={kbps}:vbv-bufsize={kbps}"
        )


MAIN_SPEC = ContentSpec(width=960, height=1080, bitrate_bps=1_800_000)
SUB_SPEC = ContentSpec(width=352, height=288, bitrate_bps=384_000)


@dataclass(frozen=True, slots=True)
class H264Content:
    """A loop of access units (NAL units without start codes), GOP-aligned."""

    width: int
    height: int
    fps: int
    gop: int
    sps: bytes
    pps: bytes
    frames: tuple[tuple[bytes, ...], ...]

    @property
    def frame_count(self) -> int:
        return len(self.frames)

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps

    @property
    def sps_info(self) -> Sps:
        return parse_sps(self.sps)


def default_cache_dir() -> Path:
    """`$VIGIL_CACHE_DIR`, else `~/.cache/vigil/dvr-sim`."""
    env = os.environ.get("VIGIL_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "vigil" / "dvr-sim"


def output_frame_count(
    source_duration_s: float, spec: ContentSpec, duration_s: float | None
) -> int:
    """Frames to encode: whole GOPs covering `duration_s` (default all of the source)."""
    wanted = source_duration_s if duration_s is None else min(duration_s, source_duration_s)
    gops = int(wanted * spec.fps) // spec.gop
    if gops < 1:
        raise H264Error(
            f"content of {wanted:.2f} s is shorter than one GOP ({spec.gop / spec.fps:.2f} s)"
        )
    return gops * spec.gop


def cache_path(cache_dir: Path, source: FrameSource, spec: ContentSpec, frames: int) -> Path:
    key = f"{_FORMAT_VERSION}|{source.fingerprint}|{spec}|{frames}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    name = (
        f"{source.name}-{spec.width}x{spec.height}-{spec.fps}fps-g{spec.gop}-"
        f"{spec.bitrate_bps // 1000}k-{frames}f-{digest}.h264"
    )
    return cache_dir / name


def prepare_content(
    specs: tuple[ContentSpec, ...] = (MAIN_SPEC, SUB_SPEC),
    *,
    cache_dir: Path | None = None,
    duration_s: float | None = None,
    source: FrameSource | None = None,
    cancel: threading.Event | None = None,
) -> tuple[Path, ...]:
    """Return one cached `.h264` file per spec, encoding the missing ones in one pass.

    Blocking (runs libx264): call it from a thread in async code; setting `cancel`
    stops an encode at the next frame with `EncodeCancelledError`.
    """
    cache_dir = cache_dir if cache_dir is not None else default_cache_dir()
    source = source if source is not None else default_source()
    cache_dir.mkdir(parents=True, exist_ok=True)
    counts = [output_frame_count(source.duration_s, s, duration_s) for s in specs]
    paths = tuple(cache_path(cache_dir, source, s, n) for s, n in zip(specs, counts, strict=True))
    missing = [i for i, p in enumerate(paths) if not p.is_file()]
    if not missing:
        logger.info("dvr-sim content cached: %s", ", ".join(p.name for p in paths))
        return paths
    if len({specs[i].fps for i in missing}) != 1 or len({counts[i] for i in missing}) != 1:
        raise H264Error("specs encoded together must share fps and length")
    _encode(
        source,
        [specs[i] for i in missing],
        [paths[i] for i in missing],
        counts[missing[0]],
        cancel or threading.Event(),
    )
    return paths


def _open_encoder(spec: ContentSpec) -> av.video.codeccontext.VideoCodecContext:
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = spec.width, spec.height, "yuv420p"
    ctx.framerate = Fraction(spec.fps)
    ctx.time_base = Fraction(1, spec.fps)
    ctx.bit_rate = spec.bitrate_bps
    ctx.options = {
        "preset": spec.preset,
        "profile": spec.profile,
        "x264-params": spec.x264_params(),
    }
    return ctx


def _crop_16_9(frame: RgbFrame) -> RgbFrame:
    h, w = frame.shape[:2]
    if w * 9 > h * 16:  # too wide: crop the sides
        cw = h * 16 // 9
        return frame[:, (w - cw) // 2 : (w - cw) // 2 + cw]
    ch = w * 9 // 16
    return frame[(h - ch) // 2 : (h - ch) // 2 + ch]


def _to_video_frame(frame: RgbFrame, spec: ContentSpec) -> av.VideoFrame:
    scaled = np.asarray(
        cv2.resize(_crop_16_9(frame), (spec.width, spec.height), interpolation=cv2.INTER_AREA),
        dtype=np.uint8,
    )
    return av.VideoFrame.from_ndarray(scaled, format="rgb24").reformat(format="yuv420p")


def resample(
    frames: Iterator[RgbFrame], source_fps: float, fps: int, total: int
) -> Iterator[tuple[RgbFrame, bool]]:
    """`total` frames at `fps` from frames at `source_fps`, repeating or dropping frames.

    Yields `(frame, is_new)`; `is_new` is False for a repeat, so callers convert once.
    A source shorter than announced holds its last frame.
    """
    step = Fraction(source_fps) / fps  # source frames per output frame
    index, current = -1, None
    for j in range(total):
        is_new = False
        while index < int(j * step):
            nxt = next(frames, None)
            if nxt is None:
                break
            current, index, is_new = nxt, index + 1, True
        if current is None:
            raise H264Error("the source has no frames")
        yield current, is_new


def _encode(
    source: FrameSource,
    specs: list[ContentSpec],
    paths: list[Path],
    total: int,
    cancel: threading.Event,
) -> None:
    logger.info(
        "dvr-sim: encoding %d frames (%.0f s) of %s to %s, once; later starts use the cache",
        total,
        total / specs[0].fps,
        source.name,
        ", ".join(f"{s.width}x{s.height}" for s in specs),
    )
    started, cpu_started = time.monotonic(), time.process_time()
    encoders = [_open_encoder(s) for s in specs]
    tmps = [p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in paths]
    files = [t.open("wb") for t in tmps]
    converted: list[av.VideoFrame] = []
    try:
        frames = resample(iter(source.frames()), source.fps, specs[0].fps, total)
        for j, (frame, is_new) in enumerate(frames):
            if cancel.is_set():
                raise EncodeCancelledError("dvr-sim: content encoding cancelled")
            if is_new:
                converted = [_to_video_frame(frame, spec) for spec in specs]
            for vf, enc, out in zip(converted, encoders, files, strict=True):
                vf.pts = j
                out.writelines(bytes(p) for p in enc.encode(vf))
            if (j + 1) % max(total // 100, 1) == 0:  # each percent (DEBUG), each tenth (INFO)
                tenth = (j + 1) % max(total // 10, 1) == 0
                level = logging.INFO if tenth else logging.DEBUG
                logger.log(level, "dvr-sim: encoded %d/%d frames", j + 1, total)
        for enc, out in zip(encoders, files, strict=True):
            out.writelines(bytes(p) for p in enc.encode(None))
    except BaseException:
        for f, tmp in zip(files, tmps, strict=True):
            f.close()
            tmp.unlink(missing_ok=True)
        raise
    for f, tmp, path in zip(files, tmps, paths, strict=True):
        f.close()
        os.replace(tmp, path)
    logger.info(
        "dvr-sim: encoded in %.1f s wall, %.1f CPU-s: %s",
        time.monotonic() - started,
        time.process_time() - cpu_started,
        ", ".join(f"{p.name} ({p.stat().st_size // 1024} KiB)" for p in paths),
    )


def load_content(path: Path, spec: ContentSpec) -> H264Content:
    """Read a prepared `.h264` file and check it is loopable (GOP-aligned IDRs, SPS/PPS)."""
    units = split_access_units(split_annexb(path.read_bytes()))
    if not units or len(units) % spec.gop:
        raise H264Error(f"{path.name}: {len(units)} frames is not a whole number of GOPs")
    for i in range(0, len(units), spec.gop):
        if not is_keyframe(units[i]):
            raise H264Error(f"{path.name}: frame {i} should be an IDR keyframe")
    first = units[0]
    sps = next((n for n in first if nal_type(n) == NAL_SPS), None)
    pps = next((n for n in first if nal_type(n) == NAL_PPS), None)
    if sps is None or pps is None:
        raise H264Error(f"{path.name}: the first frame lacks SPS/PPS")
    info = parse_sps(sps)
    if (info.width, info.height) != (spec.width, spec.height):
        raise H264Error(
            f"{path.name}: SPS says {info.width}x{info.height}, expected {spec.width}x{spec.height}"
        )
    return H264Content(
        width=info.width,
        height=info.height,
        fps=spec.fps,
        gop=spec.gop,
        sps=sps,
        pps=pps,
        frames=tuple(tuple(u) for u in units),
    )


def prepare_and_load(
    *,
    cache_dir: Path | None = None,
    duration_s: float | None = None,
    source: FrameSource | None = None,
    cancel: threading.Event | None = None,
) -> tuple[H264Content, H264Content]:
    """Main (960x1080) and sub (352x288) content, encoding on first use. Blocking."""
    main_path, sub_path = prepare_content(
        (MAIN_SPEC, SUB_SPEC),
        cache_dir=cache_dir,
        duration_s=duration_s,
        source=source,
        cancel=cancel,
    )
    return load_content(main_path, MAIN_SPEC), load_content(sub_path, SUB_SPEC)
