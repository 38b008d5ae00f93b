"""Footage the simulator encodes: real pedestrians when the machine has them.

In order of preference:

1. `vtest.avi` from Debian's `opencv-doc` (real pedestrians, 768x576, 10 fps, 79.5 s).
2. Real photos of people shipped inside the scikit-image wheel (`astronaut.png`,
   `camera.png`) moving over its `gravel.png`, when scikit-image is installed. The
   files are read straight from the package folder; scikit-image is not imported.
3. A synthetic scene of moving figures, so the simulator always works; it holds
   no real people, so a person detector will not fire on it (a warning says so).

Every source yields RGB frames (height x width x 3, uint8) at its own `fps`.
"""

from __future__ import annotations

import importlib.util
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import av
import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import VigilError

logger = logging.getLogger(__name__)

VTEST_PATH = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
RgbFrame = npt.NDArray[np.uint8]

_COMPOSITE_SIZE = (768, 432)  # width, height: 16:9 like the scene a 1080N camera sees
_COMPOSITE_FPS = 25.0
_COMPOSITE_DURATION_S = 60.0


class SourceError(VigilError):
    """Source footage for the simulator could not be read."""

    status_code = 422


class FrameSource(Protocol):
    """Footage to encode. `fingerprint` changes whenever the frames would."""

    @property
    def name(self) -> str: ...
    @property
    def fingerprint(self) -> str: ...
    @property
    def fps(self) -> float: ...
    @property
    def duration_s(self) -> float: ...
    def frames(self) -> Iterator[RgbFrame]: ...


@dataclass(frozen=True, slots=True)
class VideoFileSource:
    """Frames decoded from a video file with PyAV."""

    path: Path
    fps: float
    duration_s: float

    @classmethod
    def open(cls, path: Path) -> VideoFileSource:
        try:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                rate = stream.average_rate or stream.guessed_rate
                if not rate:
                    raise SourceError(f"{path}: the video stream has no frame rate")
                if stream.duration is not None and stream.time_base is not None:
                    duration = float(stream.duration * stream.time_base)
                elif container.duration is not None:
                    duration = container.duration / av.time_base
                else:
                    duration = (stream.frames or 0) / float(rate)
        except (av.FFmpegError, IndexError) as err:
            raise SourceError(f"{path}: cannot read video ({err})") from err
        return cls(path=path, fps=float(rate), duration_s=duration)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def fingerprint(self) -> str:
        st = self.path.stat()
        return f"file:{self.path.resolve()}:{st.st_size}:{st.st_mtime_ns}"

    def frames(self) -> Iterator[RgbFrame]:
        with av.open(str(self.path)) as container:
            for frame in container.decode(video=0):
                yield np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)


def _skimage_data_dir() -> Path | None:
    spec = importlib.util.find_spec("skimage")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "data"
    needed = ("astronaut.png", "camera.png", "gravel.png")
    return data if all((data / n).is_file() for n in needed) else None


def _read_rgb(path: Path) -> RgbFrame:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SourceError(f"{path}: cannot read image")
    return np.ascontiguousarray(image[:, :, ::-1])


def _walk(t: float, period_s: float, span: int, phase: float) -> int:
    """A back-and-forth position in [0, span] (pixels) at time t (seconds)."""
    x = (t / period_s + phase) % 2.0
    return round((x if x <= 1.0 else 2.0 - x) * span)


@dataclass(frozen=True, slots=True)
class PhotoCompositeSource:
    """Photos of real people from scikit-image's wheel walking over a gravel background."""

    data_dir: Path
    fps: float = _COMPOSITE_FPS
    duration_s: float = _COMPOSITE_DURATION_S

    @property
    def name(self) -> str:
        return "skimage-people"

    @property
    def fingerprint(self) -> str:
        sizes = [(self.data_dir / n).stat().st_size for n in ("astronaut.png", "camera.png")]
        return f"skimage:{sizes}"

    def frames(self) -> Iterator[RgbFrame]:
        width, height = _COMPOSITE_SIZE
        gravel = _read_rgb(self.data_dir / "gravel.png")
        background = np.asarray(
            cv2.resize(np.tile(gravel, (1, 2, 1)), (width, height)), dtype=np.uint8
        )
        # Portrait sprites: a person should look like one to a person detector.
        sprites = [
            cv2.resize(_read_rgb(self.data_dir / "astronaut.png")[:, 96:416], (150, 240)),
            cv2.resize(_read_rgb(self.data_dir / "camera.png")[:, 96:416], (130, 208)),
        ]
        paths = [(9.0, 0.0, 40), (13.0, 0.6, 190)]  # period_s, phase, top (pixels)
        for i in range(int(self.duration_s * self.fps)):
            t = i / self.fps
            frame = background.copy()
            for sprite, (period, phase, top) in zip(sprites, paths, strict=True):
                h, w = sprite.shape[:2]
                x = _walk(t, period, width - w, phase)
                y = top + int(8 * math.sin(2 * math.pi * t * 1.7))  # a walking bob
                frame[y : y + h, x : x + w] = sprite
            yield frame


@dataclass(frozen=True, slots=True)
class SyntheticSource:
    """Moving figure-like shapes over a textured background; no real people."""

    fps: float = _COMPOSITE_FPS
    duration_s: float = _COMPOSITE_DURATION_S

    @property
    def name(self) -> str:
        return "synthetic"

    @property
    def fingerprint(self) -> str:
        return "synthetic:1"

    def frames(self) -> Iterator[RgbFrame]:
        width, height = _COMPOSITE_SIZE
        rng = np.random.default_rng(7)
        noise = rng.integers(0, 40, (height, width, 1), dtype=np.uint8)
        ramp = np.linspace(70, 150, width, dtype=np.float32)[None, :, None]
        background = np.clip(ramp + noise, 0, 255).astype(np.uint8).repeat(3, axis=2)
        colours = [(200, 40, 40), (40, 60, 200), (230, 200, 60), (40, 160, 60)]
        for i in range(int(self.duration_s * self.fps)):
            t = i / self.fps
            frame = background.copy()
            for k, colour in enumerate(colours):
                x = 30 + _walk(t, 7.0 + 2 * k, width - 90, k / 4)
                y = 60 + 80 * k
                cv2.ellipse(frame, (x + 30, y + 25), (18, 22), 0, 0, 360, colour, -1)
                cv2.rectangle(frame, (x + 12, y + 48), (x + 48, y + 150), colour, -1)
            yield frame


@dataclass(frozen=True, slots=True)
class StillSource:
    """The first frame of `base`, held for `duration_s`: what a frozen channel loops (a stuck
    encoder or a replayed still). Encoded, it is an IDR and skipped P-frames."""

    base: FrameSource
    fps: float = _COMPOSITE_FPS
    duration_s: float = 1.0

    @property
    def name(self) -> str:
        return f"{self.base.name}-still"

    @property
    def fingerprint(self) -> str:
        return f"still:{self.base.fingerprint}"

    def frames(self) -> Iterator[RgbFrame]:
        first = next(iter(self.base.frames()), None)
        if first is None:
            raise SourceError(f"{self.base.name}: no frames to make a still of")
        for _ in range(round(self.duration_s * self.fps)):
            yield first


@dataclass(frozen=True, slots=True)
class NightSource:
    """A night yard: the first frame of `base` at `light` of its brightness, nothing moving,
    with fresh Gaussian sensor noise (`noise_std` grey levels) in every frame, as a camera's
    gain adds in the dark. Alive, though static: it must not count as a frozen picture."""

    base: FrameSource
    light: float = 0.3
    noise_std: float = 3.0
    fps: float = _COMPOSITE_FPS
    duration_s: float = 4.0

    @property
    def name(self) -> str:
        return f"{self.base.name}-night"

    @property
    def fingerprint(self) -> str:
        return f"night:{self.light}:{self.noise_std}:{self.base.fingerprint}"

    def frames(self) -> Iterator[RgbFrame]:
        first = next(iter(self.base.frames()), None)
        if first is None:
            raise SourceError(f"{self.base.name}: no frames to make a night scene of")
        dark = first.astype(np.float32) * self.light
        rng = np.random.default_rng(11)
        for _ in range(round(self.duration_s * self.fps)):
            noise = rng.normal(0.0, self.noise_std, dark.shape[:2]).astype(np.float32)
            yield np.clip(dark + noise[..., None], 0, 255).astype(np.uint8)


def default_source(path: Path | None = None) -> FrameSource:
    """The best footage available here: `path` (default vtest.avi), else the fallbacks."""
    video = path if path is not None else VTEST_PATH
    if video.is_file():
        return VideoFileSource.open(video)
    data_dir = _skimage_data_dir()
    if data_dir is not None:
        logger.warning(
            "%s not found (Debian package opencv-doc); using scikit-image's photos of people",
            video,
        )
        return PhotoCompositeSource(data_dir)
    logger.warning(
        "%s not found (Debian package opencv-doc) and scikit-image is not installed; "
        "using synthetic footage WITHOUT real people (person detection will find nobody)",
        video,
    )
    return SyntheticSource()
