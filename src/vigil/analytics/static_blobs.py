"""Static foreground for abandoned objects no detector class covers: a long-term and a
short-term background model (running averages of a small grey picture) disagree where
something new has come to rest. Where the picture also matches the short-term model, the
thing is still (not a passer-by); those pixels, grouped, are the static blobs.

At 1 fps with the defaults the short-term model takes ~20 s to settle on a newly placed
object; the long-term model does not learn where something new stands (so a removed object
leaves no ghost) until it has stood `absorb_frames` (an hour), when it becomes background.
Boxes are normalised xyxy, origin top-left.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

STATIC_CLASS = "static_object"  # the class name abandoned-object rules use for blobs


class StaticForeground:
    def __init__(
        self,
        width: int = 160,
        short_alpha: float = 0.1,
        long_alpha: float = 0.002,
        diff: float = 25.0,
        min_area: float = 0.002,
        absorb_frames: int = 3600,
    ) -> None:
        self.width = width
        self.short_alpha = short_alpha
        self.long_alpha = long_alpha
        self.diff = diff
        self.min_area = min_area
        self._short: npt.NDArray[np.float32] | None = None
        self._long: npt.NDArray[np.float32] | None = None
        self._age: npt.NDArray[np.int32] | None = None  # frames each pixel has been "new"
        self.absorb_frames = absorb_frames

    def update(self, image_bgr: npt.NDArray[np.uint8]) -> list[tuple[float, float, float, float]]:
        """Feed one frame; returns the static blobs' boxes (normalised xyxy)."""
        h, w = image_bgr.shape[:2]
        height = max(1, round(h * self.width / w))
        grey = cv2.cvtColor(cv2.resize(image_bgr, (self.width, height)), cv2.COLOR_BGR2GRAY)
        frame = cv2.GaussianBlur(grey, (5, 5), 0).astype(np.float32)
        if self._short is None or self._long is None or self._short.shape != frame.shape:
            self._short, self._long = frame.copy(), frame.copy()
            self._age = np.zeros(frame.shape, np.int32)
            return []
        cv2.accumulateWeighted(frame, self._short, self.short_alpha)
        new = np.abs(self._short - self._long) > self.diff
        # The long-term model learns only where nothing new stands, so an object taken away
        # leaves no ghost; one that stays `absorb_frames` becomes background at once.
        cv2.accumulateWeighted(frame, self._long, self.long_alpha, mask=(~new).astype(np.uint8))
        assert self._age is not None
        self._age = np.where(new, self._age + 1, 0).astype(np.int32)
        settled = self._age >= self.absorb_frames
        if settled.any():
            self._long[settled] = self._short[settled]
            self._age[settled] = 0
        still = np.abs(frame - self._short) < self.diff
        mask = (new & still).astype(np.uint8) * 255
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes: list[tuple[float, float, float, float]] = []
        for i in range(1, count):
            x, y, bw, bh, area = (int(v) for v in stats[i])
            if area < self.min_area * mask.size:
                continue
            boxes.append((x / self.width, y / height, (x + bw) / self.width, (y + bh) / height))
        return boxes
