"""Multi-object tracking after detection: stable track ids, per-track history, blip filters.

One `ObjectTracker` per camera. Each class is tracked by its own ByteTrack (`vision.bytetrack`:
a time-aware Kalman filter + two-stage buffered-IoU matching: confident detections first, then
weaker ones that can only extend existing tracks, which carries people through short
occlusions and dips in confidence). Ids are unique per camera across classes and given on a
track's first frame.

Coordinates are normalised to [0, 1] of the frame, (x1, y1, x2, y2), like `Detections`;
times are the frames' capture times (UTC).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import numpy.typing as npt

from vigil.model.detections import Detections
from vigil.vision.bytetrack import ByteTracker, ByteTrackSettings

Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class ClassFilter:
    """False-positive filter for one class.

    `min_confidence`: weaker detections never start a track (they may still extend one, see
    `TrackerSettings.low_confidence`). `min_area`/`max_area`: box area as a fraction of the
    frame (0-1). `min_track_frames`: frames a track must have been seen in before its
    detections are published, so a one-frame blip never reaches the rules.
    """

    min_confidence: float = 0.5
    min_area: float = 0.0
    max_area: float = 1.0
    min_track_frames: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_area <= self.max_area <= 1.0:
            raise ValueError(
                f"need 0 <= min_area <= max_area <= 1, got {self.min_area}, {self.max_area}"
            )
        if self.min_track_frames < 1:
            raise ValueError(f"min_track_frames must be at least 1, got {self.min_track_frames}")


@dataclass(frozen=True, slots=True)
class TrackerSettings:
    """`lost_track_s`: how long a track survives without detections (occlusions);
    `low_confidence`: detections from here up to the class's `min_confidence` only extend
    tracks; `min_iou`: least overlap between a track's predicted box and a detection to match,
    both grown on each side by `match_buffer` x their size first (at 1 fps a walker moves about
    one body width between frames, so plain IoU would often be zero); the buffer is for a track
    last seen a second or more ago and shrinks in proportion below that (a tenth at 10 fps);
    `stationary_window_s` / `stationary_max_move`: a track is stationary when its foot point has
    moved less than `stationary_max_move` (normalised) over the last `stationary_window_s`;
    `path_points`: foot points kept per track; `snapshot_padding`: context added around the best
    snapshot, as a fraction of the box size."""

    lost_track_s: float = 5.0
    low_confidence: float = 0.3
    min_iou: float = 0.1
    match_buffer: float = 0.8
    stationary_window_s: float = 10.0
    stationary_max_move: float = 0.02
    path_points: int = 300
    snapshot_padding: float = 0.1
    default_filter: ClassFilter = field(default_factory=ClassFilter)
    filters: Mapping[str, ClassFilter] = field(default_factory=dict)

    def filter_for(self, class_name: str) -> ClassFilter:
        return self.filters.get(class_name, self.default_filter)


@dataclass(slots=True)
class Track:
    """What is known about one tracked object. `path` holds (time, foot x, foot y)."""

    track_id: int
    class_name: str
    first_seen: datetime
    last_seen: datetime
    bbox_xyxy: Box
    confidence: float
    hits: int = 1
    stationary: bool = False
    path: deque[tuple[datetime, float, float]] = field(default_factory=deque)
    best_confidence: float = 0.0
    best_bbox_xyxy: Box | None = None
    best_seen: datetime | None = None
    best_snapshot: npt.NDArray[np.uint8] | None = field(default=None, repr=False)

    @property
    def age_s(self) -> float:
        return (self.last_seen - self.first_seen).total_seconds()


class ObjectTracker:
    """Tracks the objects of one camera. Not thread-safe: call `update` in frame order.

    Memory stays bounded however long a camera runs: a class's ByteTrack is dropped when its
    last track ends, a `Track` leaves `tracks` when its ByteTrack track is removed, and ended
    tracks wait in a bounded queue for `pop_finished`.
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._by_class: dict[str, ByteTracker] = {}
        self._next_id = 1
        self._t0: datetime | None = None
        self.tracks: dict[int, Track] = {}
        """Live tracks by id: seen within `lost_track_s` (a track not yet confirmed, seen on
        fewer than min(2, `min_track_frames`) frames, ends at its first miss)."""
        # Bounded: a caller that never collects ended tracks must not grow memory forever.
        self._finished: deque[Track] = deque(maxlen=1000)

    def update(
        self,
        detections: Detections,
        timestamp: datetime,
        image_bgr: npt.NDArray[np.uint8] | None = None,
    ) -> Detections:
        """Track one frame's detections (normalised xyxy) taken at `timestamp`.

        Returns the detections that pass the class filters and belong to a track old enough to
        count, each with its `track_id`, in input order. `image_bgr` (the frame) is used for the
        tracks' best snapshots.
        """
        if self._t0 is None:
            self._t0 = timestamp
        t_s = (timestamp - self._t0).total_seconds()
        keep = self._passes_filters(detections)
        out: list[tuple[int, int]] = []
        # Classes absent from this frame still age their tracks (and may lose them).
        for class_name in sorted(set(detections.class_names) | set(self._by_class)):
            rows = [
                i for i in np.flatnonzero(keep).tolist() if detections.class_names[i] == class_name
            ]
            tracker = self._by_class.get(class_name)
            if tracker is None:
                if not rows:
                    continue
                tracker = self._by_class[class_name] = self._new_tracker(class_name)
            pairs, removed = tracker.update(detections.xyxy[rows], detections.confidence[rows], t_s)
            for local, track_id in pairs:
                row = rows[local]
                track = self._observe(track_id, class_name, detections, row, timestamp, image_bgr)
                if track.hits >= self.settings.filter_for(class_name).min_track_frames:
                    out.append((row, track_id))
            for track_id in removed:
                self._finished.append(self.tracks.pop(track_id))
            if not len(tracker):
                del self._by_class[class_name]
        out.sort()
        rows_sorted = [row for row, _ in out]
        return Detections(
            detections.xyxy[rows_sorted].reshape(-1, 4),
            detections.confidence[rows_sorted],
            tuple(detections.class_names[i] for i in rows_sorted),
            tuple(track_id for _, track_id in out),
        )

    def pop_finished(self) -> list[Track]:
        """Tracks that ended since the last call (see `tracks`)."""
        finished = list(self._finished)
        self._finished.clear()
        return finished

    def _passes_filters(self, detections: Detections) -> npt.NDArray[np.bool_]:
        xyxy = detections.xyxy
        area = np.clip(xyxy[:, 2] - xyxy[:, 0], 0, 1) * np.clip(xyxy[:, 3] - xyxy[:, 1], 0, 1)
        keep = np.zeros(len(detections), dtype=bool)
        for i, class_name in enumerate(detections.class_names):
            rule = self.settings.filter_for(class_name)
            floor = min(self.settings.low_confidence, rule.min_confidence)
            keep[i] = (
                detections.confidence[i] >= floor and rule.min_area <= area[i] <= rule.max_area
            )
        return keep

    def _new_tracker(self, class_name: str) -> ByteTracker:
        rule = self.settings.filter_for(class_name)
        return ByteTracker(
            ByteTrackSettings(
                high_confidence=rule.min_confidence,
                low_confidence=min(self.settings.low_confidence, rule.min_confidence),
                min_iou=self.settings.min_iou,
                match_buffer=self.settings.match_buffer,
                lost_track_s=self.settings.lost_track_s,
                # ByteTrack confirms a track on its second match; a class that publishes from
                # the first frame confirms at once.
                confirm_hits=min(2, rule.min_track_frames),
            ),
            self._allocate_id,
        )

    def _allocate_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _observe(
        self,
        track_id: int,
        class_name: str,
        detections: Detections,
        row: int,
        timestamp: datetime,
        image_bgr: npt.NDArray[np.uint8] | None,
    ) -> Track:
        x1, y1, x2, y2 = (float(v) for v in detections.xyxy[row])
        bbox = (x1, y1, x2, y2)
        confidence = float(detections.confidence[row])
        track = self.tracks.get(track_id)
        if track is None:
            track = self.tracks[track_id] = Track(
                track_id, class_name, timestamp, timestamp, bbox, confidence, hits=0
            )
            track.path = deque(maxlen=self.settings.path_points)
        track.hits += 1
        track.last_seen = timestamp
        track.bbox_xyxy = bbox
        track.confidence = confidence
        track.path.append((timestamp, (x1 + x2) / 2.0, y2))
        track.stationary = self._is_stationary(track)
        if confidence > track.best_confidence:
            track.best_confidence = confidence
            track.best_bbox_xyxy = bbox
            track.best_seen = timestamp
            if image_bgr is not None:
                track.best_snapshot = crop(image_bgr, bbox, self.settings.snapshot_padding)
        return track

    def _is_stationary(self, track: Track) -> bool:
        window = self.settings.stationary_window_s
        if track.age_s < window:
            return False
        recent = [
            (x, y) for t, x, y in track.path if (track.last_seen - t).total_seconds() <= window
        ]
        points = np.array(recent, dtype=np.float32)
        spread = np.linalg.norm(points - points.mean(axis=0), axis=1).max()
        return bool(spread <= self.settings.stationary_max_move)

    def _expire(self, now: datetime) -> None:
        for track_id, track in list(self.tracks.items()):
            if (now - track.last_seen).total_seconds() > self.settings.lost_track_s:
                self._finished.append(self.tracks.pop(track_id))


def crop(
    image_bgr: npt.NDArray[np.uint8], bbox: Box, padding: float = 0.0
) -> npt.NDArray[np.uint8]:
    """A copy of the part of `image_bgr` under the normalised box, grown by `padding` x its size."""
    height, width = image_bgr.shape[:2]
    x1, y1, x2, y2 = bbox
    pad_x, pad_y = (x2 - x1) * padding, (y2 - y1) * padding
    left = max(0, round((x1 - pad_x) * width))
    top = max(0, round((y1 - pad_y) * height))
    right = min(width, round((x2 + pad_x) * width))
    bottom = min(height, round((y2 + pad_y) * height))
    return np.ascontiguousarray(image_bgr[top:bottom, left:right])
