"""Vigil's tracker as it was before issue 13 (commit d217bd3, src/vigil/vision/tracker.py),
kept only so that bench/tracker_compare.py can measure the new tracker against it. It needs the
packages `trackers` (2.6.1) and `supervision`, which Vigil no longer depends on; nothing in
src/ or tests/ imports this file.

Original docstring:

One `ObjectTracker` per camera. Each class is tracked by its own ByteTrack (the `trackers`
library's `ByteTrackTracker`, Kalman filter + two-stage IoU matching: confident detections
first, then weaker ones that can only extend existing tracks, which carries people through
short occlusions and dips in confidence). Ids are unique per camera across classes.
"""

from __future__ import annotations

import warnings
from collections import deque
from datetime import datetime

import numpy as np
import numpy.typing as npt

try:
    import supervision as sv
    from trackers import BIoU, ByteTrackTracker
    from trackers.core.bytetrack.tracklet import ByteTrackTracklet
except ImportError as err:  # not Vigil dependencies any more
    raise ImportError(
        "the old tracker needs the packages trackers (2.6.1) and supervision: see "
        "bench/tracker_compare.py for how to install them outside Vigil's environment"
    ) from err

from vigil.model.detections import Detections
from vigil.vision.tracker import Track, TrackerSettings, crop

Box = tuple[float, float, float, float]

# ByteTrack counts its lost-track budget in frames of a 30 fps video (`lost_track_buffer / 30`
# seconds in timestamp mode); we configure it in seconds.
_LIBRARY_FPS = 30.0
_VIRTUAL_FRAME_PX = 1000.0


class _ByteTrack(ByteTrackTracker):
    """ByteTrack that gives a new track its id on its first frame.

    The library leaves a new track without an id (-1) until its second matched frame; Vigil
    wants an id on every published detection and applies its own minimum track age
    (`ClassFilter.min_track_frames`), so the id is allocated when the track is born.
    Pinned to trackers 2.6.1, whose `_spawn_new_tracks` this mirrors.
    """

    def _spawn_new_tracks(
        self,
        detection_boxes: npt.NDArray[np.float32],
        confidences: npt.NDArray[np.float32],
        unmatched_high_local: list[int],
        high_indices: npt.NDArray[np.intp],
        out_det_indices: list[int],
        out_tracker_ids: list[int],
    ) -> None:
        for local in unmatched_high_local:
            index = int(high_indices[local])
            track_id = -1
            if float(confidences[index]) >= self.track_activation_threshold:
                tracklet = ByteTrackTracklet(
                    initial_bbox=detection_boxes[index],
                    state_estimator_class=self.state_estimator_class,
                )
                tracklet.tracker_id = track_id = self._allocate_tracker_id()
                self.tracks.append(tracklet)
            out_det_indices.append(index)
            out_tracker_ids.append(track_id)


class ObjectTracker:
    """Tracks the objects of one camera. Not thread-safe: call `update` in frame order."""

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.settings = settings or TrackerSettings()
        self._by_class: dict[str, _ByteTrack] = {}
        self._ids: dict[tuple[str, int], int] = {}
        self._next_id = 1
        self._t0: datetime | None = None
        self.tracks: dict[int, Track] = {}
        """Live tracks by id (seen within `lost_track_s`)."""
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
        out_rows: list[int] = []
        out_ids: list[int] = []
        for class_name in sorted(set(detections.class_names)):
            rows = [int(i) for i in np.flatnonzero(keep) if detections.class_names[i] == class_name]
            if not rows:
                continue
            for row, track_id in self._track_class(class_name, detections, rows, t_s):
                track = self._observe(track_id, class_name, detections, row, timestamp, image_bgr)
                if track.hits >= self.settings.filter_for(class_name).min_track_frames:
                    out_rows.append(row)
                    out_ids.append(track_id)
        # Classes absent from this frame still age their tracks (and may lose them).
        for class_name, tracker in self._by_class.items():
            if class_name not in detections.class_names:
                tracker.update(
                    _sv_detections(np.zeros((0, 4), np.float32), None, []), timestamp=t_s
                )
        self._expire(timestamp)
        order = np.argsort(out_rows, kind="stable")
        rows_sorted = [out_rows[i] for i in order]
        return Detections(
            detections.xyxy[rows_sorted].reshape(-1, 4),
            detections.confidence[rows_sorted],
            tuple(detections.class_names[i] for i in rows_sorted),
            tuple(out_ids[i] for i in order),
        )

    def pop_finished(self) -> list[Track]:
        """Tracks that ended (unseen for `lost_track_s`) since the last call."""
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

    def _track_class(
        self, class_name: str, detections: Detections, rows: list[int], t_s: float
    ) -> list[tuple[int, int]]:
        """(row, Vigil track id) for each row of `class_name` that joined or started a track."""
        tracker = self._by_class.get(class_name)
        if tracker is None:
            rule = self.settings.filter_for(class_name)
            tracker = self._by_class[class_name] = _ByteTrack(
                lost_track_buffer=max(1, round(self.settings.lost_track_s * _LIBRARY_FPS)),
                frame_rate=1.0,
                track_activation_threshold=rule.min_confidence,
                minimum_consecutive_frames=1,
                minimum_iou_threshold=self.settings.min_iou,
                high_conf_det_threshold=rule.min_confidence,
                iou=BIoU(buffer_ratio=self.settings.match_buffer),
            )
        # The library's Kalman noise is tuned for pixel boxes: track on a virtual 1000 px frame.
        boxes = detections.xyxy[rows] * _VIRTUAL_FRAME_PX
        sv_dets = _sv_detections(boxes, detections.confidence[rows], rows)
        with warnings.catch_warnings():
            # A repeated or late timestamp makes the library warn and skip; that is fine here.
            warnings.simplefilter("ignore", UserWarning)
            result = tracker.update(sv_dets, timestamp=t_s)
        pairs: list[tuple[int, int]] = []
        assert result.tracker_id is not None  # the tracker always sets it
        for row, lib_id in zip(result.data["row"], result.tracker_id, strict=True):
            if lib_id < 0:
                continue  # a weak detection that matched no track
            key = (class_name, int(lib_id))
            if key not in self._ids:
                self._ids[key] = self._next_id
                self._next_id += 1
            pairs.append((int(row), self._ids[key]))
        return pairs

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


def _sv_detections(
    xyxy: npt.NDArray[np.float32], confidence: npt.NDArray[np.float32] | None, rows: list[int]
) -> sv.Detections:
    return sv.Detections(
        xyxy=np.asarray(xyxy, np.float32).reshape(-1, 4),
        confidence=None if confidence is None else np.asarray(confidence, np.float32),
        data={"row": np.asarray(rows, dtype=np.intp)},
    )
