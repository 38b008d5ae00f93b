"""One camera's vision stage: motion gate -> detector (crops or full frame) -> tracker.

The detector runs only where something moved, on padded crops at least the model's input
size, plus the last boxes of live tracks (so a person who stops keeps being checked) and a
full frame every `full_frame_every_s` and after each light change. Detections from crops are
mapped back to normalised frame coordinates and de-duplicated (per-class NMS) before tracking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import cv2
import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.vision.detectors.base import Detector
from vigil.vision.lowlight import enhance_low_light
from vigil.vision.metrics import (
    ai_batch_size_current,
    motion_regions_total,
    vision_full_frames_total,
)
from vigil.vision.motion import MotionDetector, MotionSettings, PixelBox, plan_crops
from vigil.vision.tracker import ObjectTracker, TrackerSettings


@dataclass(frozen=True, slots=True)
class GateSettings:
    """`enabled`: False runs the detector on every full frame; `full_frame_every_s`: the
    longest time between full-frame checks; `min_crop_px`: smallest crop side (the model's
    input size); `max_crop_fraction`: when crops would cover more of the frame than this, run
    the full frame instead (one call is cheaper than several); `max_crops`: likewise by count;
    `nms_iou`: overlap above which two same-class boxes from different crops are one object;
    `dark_below`: frames darker than this mean grey level (0-255) get their contrast stretched
    before detection (vision/lowlight.py; 0 turns it off)."""

    enabled: bool = True
    full_frame_every_s: float = 10.0
    min_crop_px: int = 300
    max_crop_fraction: float = 0.5
    max_crops: int = 3
    nms_iou: float = 0.5
    dark_below: float = 60.0
    motion: MotionSettings = field(default_factory=MotionSettings)


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What the pipeline did with one frame: published detections (with track ids), the crops
    the detector ran on (pixels; one covering the frame for a full-frame check, none when
    nothing moved) and the number of motion regions. `raw` is what the detector returned, before
    tracking and filters (for training candidates)."""

    detections: Detections
    crops: tuple[PixelBox, ...]
    motion_regions: int
    full_frame: bool
    raw: Detections = field(default_factory=Detections.empty)


class CameraPipeline:
    """Motion gate, detector and tracker for one camera; call `process` in frame order."""

    def __init__(
        self,
        camera_id: str,
        detector: Detector,
        *,
        gate: GateSettings | None = None,
        tracker: TrackerSettings | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.detector = detector
        self.gate = gate or GateSettings()
        self.motion = MotionDetector(self.gate.motion)
        self.tracker = ObjectTracker(tracker)
        self._last_full: datetime | None = None
        self._regions_total = motion_regions_total.labels(camera=camera_id)
        self._batch = ai_batch_size_current.labels(camera=camera_id)
        self._full_frames = vision_full_frames_total.labels(camera=camera_id)

    def process(self, image_bgr: npt.NDArray[np.uint8], timestamp: datetime) -> FrameResult:
        """Detect and track in one HxWx3 BGR frame captured at `timestamp` (UTC)."""
        height, width = image_bgr.shape[:2]
        if not self.gate.enabled:
            return self._full(enhance_low_light(image_bgr, self.gate.dark_below), timestamp, 0)
        motion = self.motion.update(image_bgr)
        image_bgr = enhance_low_light(image_bgr, self.gate.dark_below)
        self._regions_total.inc(len(motion.regions))
        due = (
            self._last_full is None
            or (timestamp - self._last_full).total_seconds() >= self.gate.full_frame_every_s
        )
        if motion.recalibrated or due:
            return self._full(image_bgr, timestamp, len(motion.regions))
        regions = list(motion.regions)
        regions.extend(t.bbox_xyxy for t in self.tracker.tracks.values())
        crops = plan_crops(regions, width, height, min_size_px=self.gate.min_crop_px)
        covered = sum((c[2] - c[0]) * (c[3] - c[1]) for c in crops) / float(width * height)
        if covered > self.gate.max_crop_fraction or len(crops) > self.gate.max_crops:
            return self._full(image_bgr, timestamp, len(motion.regions))
        found = [self._detect_crop(image_bgr, crop) for crop in crops]
        self._batch.set(len(crops))
        merged = _nms(_concat(found), self.gate.nms_iou)
        tracked = self.tracker.update(merged, timestamp, image_bgr)
        return FrameResult(tracked, tuple(crops), len(motion.regions), False, merged)

    def _full(
        self, image_bgr: npt.NDArray[np.uint8], timestamp: datetime, regions: int
    ) -> FrameResult:
        self._last_full = timestamp
        self._batch.set(1)
        self._full_frames.inc()
        height, width = image_bgr.shape[:2]
        detections = self.detector.detect(image_bgr)
        tracked = self.tracker.update(detections, timestamp, image_bgr)
        return FrameResult(tracked, ((0, 0, width, height),), regions, True, detections)

    def _detect_crop(self, image_bgr: npt.NDArray[np.uint8], crop: PixelBox) -> Detections:
        """Detect in one pixel crop; boxes come back normalised to the whole frame."""
        height, width = image_bgr.shape[:2]
        x1, y1, x2, y2 = crop
        found = self.detector.detect(np.ascontiguousarray(image_bgr[y1:y2, x1:x2]))
        scale = np.array([x2 - x1, y2 - y1, x2 - x1, y2 - y1], np.float32)
        offset = np.array([x1, y1, x1, y1], np.float32)
        frame = np.array([width, height, width, height], np.float32)
        xyxy = (found.xyxy * scale + offset) / frame
        return Detections(xyxy.astype(np.float32), found.confidence, found.class_names)


def _concat(parts: list[Detections]) -> Detections:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Detections.empty()
    return Detections(
        np.concatenate([p.xyxy for p in parts]).astype(np.float32),
        np.concatenate([p.confidence for p in parts]).astype(np.float32),
        tuple(name for p in parts for name in p.class_names),
    )


def _nms(detections: Detections, iou: float) -> Detections:
    """Per-class non-maximum suppression (normalised boxes), keeping input order."""
    if len(detections) < 2:
        return detections
    keep: list[int] = []
    names = np.array(detections.class_names)
    for class_name in sorted(set(detections.class_names)):
        rows = np.flatnonzero(names == class_name)
        xyxy = detections.xyxy[rows]
        xywh = np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]).tolist()
        scores = detections.confidence[rows].tolist()
        chosen = cv2.dnn.NMSBoxes(xywh, scores, 0.0, iou)
        keep.extend(int(rows[i]) for i in np.asarray(chosen).reshape(-1))
    keep.sort()
    return Detections(
        detections.xyxy[keep],
        detections.confidence[keep],
        tuple(detections.class_names[i] for i in keep),
    )
