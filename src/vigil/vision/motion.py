"""Cheap per-camera motion detection, and the crops the detector runs on.

`MotionDetector` keeps a running-average background of a downscaled, blurred grey frame and
returns the boxes of changed areas (contours above a minimum size). Masked pixels (a timestamp
overlay, a flag) never count. When most of the picture changes at once (an IR switch, a light
turned on, headlights flooding the scene) it recalibrates: the background becomes the current
frame and the caller is told, so it can run a full-frame check instead of trusting motion.

`plan_crops` turns motion boxes into detector crops: padded, at least the model's input size,
merged where they overlap. Boxes are normalised (x1, y1, x2, y2) in [0, 1]; crops are pixels.

Written here rather than taken from a library: the gate is 100 lines of OpenCV, and the
libraries that have one (Frigate's) are applications, not packages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

Box = tuple[float, float, float, float]
PixelBox = tuple[int, int, int, int]
Polygon = Sequence[tuple[float, float]]


@dataclass(frozen=True, slots=True)
class MotionSettings:
    """`width_px`: frames are downscaled to this width for motion; `threshold`: grey-level
    change (0-255) that counts as motion; `alpha`: weight of each new frame in the background
    (at 1 fps, 0.2 absorbs a change in ~10 s); `min_area`: smallest moving blob, fraction of
    the frame; `recalibrate_fraction`: changed share of the picture that means a global light
    change, not motion; `masks`: normalised polygons whose pixels never count as motion."""

    width_px: int = 320
    threshold: int = 20
    alpha: float = 0.2
    min_area: float = 0.0004
    recalibrate_fraction: float = 0.35
    masks: tuple[tuple[tuple[float, float], ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha must be within (0, 1], got {self.alpha}")
        if self.width_px < 32:
            raise ValueError(f"width_px must be at least 32, got {self.width_px}")


@dataclass(frozen=True, slots=True)
class Motion:
    """One frame's motion: changed areas (normalised boxes), the changed share of the unmasked
    picture (0-1), and whether the background was just reset (first frame or light change)."""

    regions: tuple[Box, ...]
    changed_fraction: float
    recalibrated: bool


class MotionDetector:
    """Motion in one camera's frames. Not thread-safe: feed one camera's frames in order."""

    def __init__(self, settings: MotionSettings | None = None) -> None:
        self.settings = settings or MotionSettings()
        self._background: npt.NDArray[np.float32] | None = None
        self._mask: npt.NDArray[np.uint8] | None = None  # 255 where motion counts
        self.recalibrations = 0

    def update(self, image_bgr: npt.NDArray[np.uint8]) -> Motion:
        """Compare an HxWx3 BGR frame with the background, then fold it in."""
        grey = self._prepare(image_bgr)
        if self._background is None or self._background.shape != grey.shape:
            self._reset(grey)
            return Motion((), 0.0, True)
        diff = cv2.absdiff(grey, cv2.convertScaleAbs(self._background))
        _, above = cv2.threshold(diff, self.settings.threshold, 255, cv2.THRESH_BINARY)
        assert self._mask is not None
        changed = np.asarray(cv2.bitwise_and(above, self._mask), np.uint8)
        usable = max(1, int(np.count_nonzero(self._mask)))
        fraction = float(np.count_nonzero(changed)) / usable
        if fraction >= self.settings.recalibrate_fraction:
            self._reset(grey)
            self.recalibrations += 1
            return Motion((), fraction, True)
        cv2.accumulateWeighted(grey, self._background, self.settings.alpha)
        return Motion(self._regions(changed), fraction, False)

    def _prepare(self, image_bgr: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        height, width = image_bgr.shape[:2]
        small_w = min(self.settings.width_px, width)
        small_h = max(1, round(height * small_w / width))
        small = cv2.resize(image_bgr, (small_w, small_h), interpolation=cv2.INTER_AREA)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        return np.asarray(cv2.GaussianBlur(grey, (5, 5), 0), np.uint8)

    def _reset(self, grey: npt.NDArray[np.uint8]) -> None:
        self._background = grey.astype(np.float32)
        self._mask = mask_image(grey.shape[1], grey.shape[0], self.settings.masks)

    def _regions(self, changed: npt.NDArray[np.uint8]) -> tuple[Box, ...]:
        height, width = changed.shape
        # Close small gaps so one person is one blob, not a head and two legs.
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
        grown = np.asarray(cv2.dilate(changed, kernel, iterations=2), np.uint8)
        contours, _ = cv2.findContours(grown, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_px = self.settings.min_area * width * height
        boxes: list[Box] = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            # Size by the changed pixels themselves, not by the dilated blob.
            if np.count_nonzero(changed[y : y + h, x : x + w]) < min_px:
                continue
            boxes.append((x / width, y / height, (x + w) / width, (y + h) / height))
        return tuple(boxes)


def mask_image(width: int, height: int, masks: Sequence[Polygon]) -> npt.NDArray[np.uint8]:
    """A width x height uint8 image: 255 where motion counts, 0 inside any mask polygon."""
    image = np.full((height, width), 255, np.uint8)
    for polygon in masks:
        points = np.array([[x * width, y * height] for x, y in polygon], np.float32)
        cv2.fillPoly(image, [np.round(points).astype(np.int32)], 0)
    return image


def plan_crops(
    regions: Sequence[Box],
    frame_width: int,
    frame_height: int,
    *,
    min_size_px: int,
    padding: float = 0.25,
) -> list[PixelBox]:
    """Detector crops (x1, y1, x2, y2 pixels) covering the normalised `regions`.

    Each region grows by `padding` x its size on every side and to at least `min_size_px`
    square (the model's input size, so nothing is upscaled and small people keep their
    pixels), stays inside the frame, and overlapping crops merge until none overlap.
    """
    crops: list[PixelBox] = []
    for x1, y1, x2, y2 in regions:
        w, h = (x2 - x1) * frame_width, (y2 - y1) * frame_height
        cx, cy = (x1 + x2) / 2 * frame_width, (y1 + y2) / 2 * frame_height
        side_w = max(w * (1 + 2 * padding), min_size_px)
        side_h = max(h * (1 + 2 * padding), min_size_px)
        crops.append(_fit(cx, cy, side_w, side_h, frame_width, frame_height))
    merged = True
    while merged:
        merged = False
        for i in range(len(crops)):
            for j in range(i + 1, len(crops)):
                if _overlap(crops[i], crops[j]):
                    a, b = crops[i], crops[j]
                    crops[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del crops[j]
                    merged = True
                    break
            if merged:
                break
    return crops


def _fit(cx: float, cy: float, w: float, h: float, frame_w: int, frame_h: int) -> PixelBox:
    """A w x h box centred on (cx, cy), shifted (not shrunk) to stay inside the frame."""
    w, h = min(w, frame_w), min(h, frame_h)
    x1 = min(max(0.0, cx - w / 2), frame_w - w)
    y1 = min(max(0.0, cy - h / 2), frame_h - h)
    return (round(x1), round(y1), round(x1 + w), round(y1 + h))


def _overlap(a: PixelBox, b: PixelBox) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
