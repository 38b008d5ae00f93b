"""ByteTrack for one class of objects: a time-aware Kalman filter per track and two-stage IoU
association, written for Vigil from the published algorithm (Zhang et al., "ByteTrack:
Multi-Object Tracking by Associating Every Detection Box", ECCV 2022) with buffered IoU (Yang et
al., "Hard to Track Objects with Irregular Motions and Similar Appearances? Make It Easier by
Buffering the Matching Space", WACV 2023).

Vigil's own rather than a library's: the libraries (`trackers`, `supervision`) count time in
frames of a steady video, give a new track its id only on its second frame and pull in a stack
of dependencies; cameras here send ~1 frame a second at irregular capture times.

Boxes are (x1, y1, x2, y2) in any consistent unit (Vigil passes normalised [0, 1] coordinates);
times are seconds on any monotonic origin. Velocities are per second, so a frame that arrives
late or early is predicted over the time that really passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment  # type: ignore[import-untyped]  # no stubs installed

FloatArray = npt.NDArray[np.float64]

# Kalman noise, relative to the box's size (so it works the same for near and far objects).
# Detector jitter: the std of a box side, as a fraction of the box size.
_MEASUREMENT_STD = 0.05
# Change of velocity a walker may make, in box sizes per second squared (centre) and the
# much slower change of the box's own size.
_ACCELERATION_STD = 0.25
_SIZE_ACCELERATION_STD = 0.05
# What a new track's unknown velocity may be, in box sizes per second.
_INITIAL_VELOCITY_STD = 1.0
_INITIAL_SIZE_VELOCITY_STD = 0.1
# Buffers scale with the seconds since a track was last seen, clipped to [this, 1 s].
_MIN_BUFFER_S = 0.1
_UNMATCHED = 1e6  # cost of a pair the gate forbids


@dataclass(frozen=True, slots=True)
class ByteTrackSettings:
    """`high_confidence`: detections from here start tracks and are matched first;
    `low_confidence`: detections from here up to `high_confidence` may only extend a track that
    the first stage left unmatched; `min_iou`: least buffered IoU between a track's predicted box
    and a detection to match, both boxes grown on each side by `match_buffer` x their width /
    height x the seconds since the track was last seen (0.1 to 1); `lost_track_s`: how long a
    confirmed track survives unmatched; `confirm_hits`: matches after which a track is
    confirmed (a track with fewer is dropped at its first miss, as ByteTrack drops unconfirmed
    tracks)."""

    high_confidence: float = 0.5
    low_confidence: float = 0.3
    min_iou: float = 0.1
    match_buffer: float = 0.8
    lost_track_s: float = 5.0
    confirm_hits: int = 1


class KalmanBox:
    """Constant-velocity Kalman filter of a box: state (cx, cy, w, h) and their rates per
    second; process noise from a white-noise acceleration, integrated over each real time step."""

    __slots__ = ("covariance", "mean")

    def __init__(self, xyxy: FloatArray) -> None:
        z = _to_cxcywh(xyxy)
        size = _size_scale(z)
        self.mean: FloatArray = np.concatenate([z, np.zeros(4)])
        std = np.concatenate(
            [
                2 * _MEASUREMENT_STD * size,
                [_INITIAL_VELOCITY_STD * size[0], _INITIAL_VELOCITY_STD * size[1]],
                _INITIAL_SIZE_VELOCITY_STD * size[2:],
            ]
        )
        self.covariance: FloatArray = np.diag(np.square(std))

    def predict(self, dt_s: float) -> None:
        if dt_s <= 0:
            return
        transition = np.eye(8)
        transition[:4, 4:] = dt_s * np.eye(4)
        size = _size_scale(self.mean[:4])
        spectral = np.square(
            np.concatenate([_ACCELERATION_STD * size[:2], _SIZE_ACCELERATION_STD * size[2:]])
        )
        noise = np.zeros((8, 8))
        idx = np.arange(4)
        noise[idx, idx] = spectral * dt_s**3 / 3
        noise[idx, idx + 4] = noise[idx + 4, idx] = spectral * dt_s**2 / 2
        noise[idx + 4, idx + 4] = spectral * dt_s
        self.mean = transition @ self.mean
        self.mean[2:4] = np.maximum(self.mean[2:4], 1e-6)
        self.covariance = transition @ self.covariance @ transition.T + noise

    def update(self, xyxy: FloatArray) -> None:
        z = _to_cxcywh(xyxy)
        measurement_noise = np.diag(np.square(_MEASUREMENT_STD * _size_scale(z)))
        projected = self.covariance[:4, :4] + measurement_noise
        # Kalman gain K = P H^T S^-1, with H = [I 0]; S is symmetric positive definite.
        gain = np.linalg.solve(projected, self.covariance[:4, :]).T
        self.mean = self.mean + gain @ (z - self.mean[:4])
        self.covariance = self.covariance - gain @ projected @ gain.T

    def stop_resizing(self) -> None:
        """Freeze the box's size while it is unseen (a hidden box's growth is no evidence)."""
        self.mean[6:8] = 0.0

    @property
    def xyxy(self) -> FloatArray:
        cx, cy, w, h = self.mean[:4]
        return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


class _Track:
    __slots__ = ("filter", "hits", "last_seen_s", "predicted_s", "track_id")

    def __init__(self, track_id: int, xyxy: FloatArray, t_s: float) -> None:
        self.track_id = track_id
        self.filter = KalmanBox(xyxy)
        self.hits = 1
        self.last_seen_s = t_s
        self.predicted_s = t_s

    def predict(self, t_s: float) -> None:
        self.filter.predict(t_s - self.predicted_s)
        self.predicted_s = max(self.predicted_s, t_s)

    def match(self, xyxy: FloatArray, t_s: float) -> None:
        self.filter.update(xyxy)
        self.hits += 1
        self.last_seen_s = max(self.last_seen_s, t_s)


class ByteTracker:
    """ByteTrack over one class's detections. `new_id` gives each new track its id (on the
    track's first frame); call `update` in time order."""

    def __init__(self, settings: ByteTrackSettings, new_id: Callable[[], int]) -> None:
        self.settings = settings
        self._new_id = new_id
        self._tracks: list[_Track] = []

    def __len__(self) -> int:
        return len(self._tracks)

    @property
    def track_ids(self) -> list[int]:
        return [t.track_id for t in self._tracks]

    def predicted_xyxy(self) -> dict[int, FloatArray]:
        """Each track's box as last predicted (for tests and diagnostics)."""
        return {t.track_id: t.filter.xyxy for t in self._tracks}

    def update(
        self, xyxy: npt.ArrayLike, confidence: npt.ArrayLike, t_s: float
    ) -> tuple[list[tuple[int, int]], list[int]]:
        """Associate one frame's detections (N boxes, N scores) taken at `t_s`.

        Returns (row, track id) for each detection that extended or started a track, in no
        particular order, and the ids of the tracks removed by this update. Detections below
        `low_confidence` are ignored; weak ones that match no track are dropped.
        """
        boxes = np.asarray(xyxy, np.float64).reshape(-1, 4)
        scores = np.asarray(confidence, np.float64).reshape(-1)
        s = self.settings
        for track in self._tracks:
            track.predict(t_s)
        high = np.flatnonzero(scores >= s.high_confidence)
        low = np.flatnonzero((scores >= s.low_confidence) & (scores < s.high_confidence))
        pool = list(range(len(self._tracks)))
        # Stage 1: confident detections against every track, lost ones included.
        first, pool, unmatched_high = self._associate(pool, boxes, high, t_s)
        # Stage 2: weak detections (partly hidden, blurred) may only extend tracks left over.
        second, pool, _ = self._associate(pool, boxes, low, t_s)
        pairs: list[tuple[int, int]] = []
        for track_index, row in first + second:
            track = self._tracks[track_index]
            track.match(boxes[row], t_s)
            pairs.append((int(row), track.track_id))
        for track_index in pool:
            self._tracks[track_index].filter.stop_resizing()
        removed = self._remove_stale(pool, t_s)
        for row in unmatched_high:
            track = _Track(self._new_id(), boxes[row], t_s)
            self._tracks.append(track)
            pairs.append((int(row), track.track_id))
        return pairs, removed

    def _associate(
        self, pool: list[int], boxes: FloatArray, rows: npt.NDArray[np.intp], t_s: float
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Hungarian matching of tracks `pool` with detections `rows` at time `t_s`, on IoU
        gated by buffered IoU >= `min_iou`. Returns (track index, row) pairs, the unmatched
        track indices and the unmatched rows."""
        if not pool or len(rows) == 0:
            return [], pool, [int(r) for r in rows]
        predicted = np.stack([self._tracks[i].filter.xyxy for i in pool])
        # The buffer covers how far an object may stray from its prediction: it grows with the
        # time since the track was last seen, up to `match_buffer` at one second. At 5-10 fps a
        # full buffer lets a false positive beside a person steal the person's track.
        unseen_s = np.array([t_s - self._tracks[i].last_seen_s for i in pool])
        buffer = self.settings.match_buffer * np.clip(unseen_s, _MIN_BUFFER_S, 1.0)
        gate = buffered_iou(predicted, boxes[rows], buffer)
        # Rank by plain IoU too: two people side by side (a crossing) both pass the buffered
        # gate, and the buffered IoU alone hardly tells which box is whose.
        similarity = (gate + buffered_iou(predicted, boxes[rows], 0.0)) / 2
        cost = np.where(gate >= self.settings.min_iou, 1.0 - similarity, _UNMATCHED)
        track_pos, det_pos = linear_sum_assignment(cost)
        matched = [
            (pool[i], int(rows[j]))
            for i, j in zip(track_pos, det_pos, strict=True)
            if cost[i, j] < _UNMATCHED
        ]
        used_tracks = {i for i, _ in matched}
        used_rows = {r for _, r in matched}
        return (
            matched,
            [i for i in pool if i not in used_tracks],
            [int(r) for r in rows if int(r) not in used_rows],
        )

    def _remove_stale(self, unmatched: list[int], t_s: float) -> list[int]:
        """Drop unmatched tracks that were never confirmed or are lost for too long."""
        s = self.settings
        stale = {
            i
            for i in unmatched
            if self._tracks[i].hits < s.confirm_hits
            or t_s - self._tracks[i].last_seen_s > s.lost_track_s
        }
        if not stale:
            return []
        removed = [self._tracks[i].track_id for i in sorted(stale)]
        self._tracks = [t for i, t in enumerate(self._tracks) if i not in stale]
        return removed


def buffered_iou(a: npt.ArrayLike, b: npt.ArrayLike, buffer: float | FloatArray) -> FloatArray:
    """IoU matrix (N, M) of xyxy boxes a (N, 4) and b (M, 4) after growing both boxes of each
    pair on each side by `buffer` x their width (left, right) and height (top, bottom); `buffer`
    is one number or one per row of `a` (N,); 0 gives plain IoU."""
    a = np.asarray(a, np.float64).reshape(-1, 4)[:, None, :]  # (N, 1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)[None, :, :]  # (1, M, 4)
    grow = np.asarray(buffer, np.float64).reshape(-1, 1, 1)  # (N or 1, 1, 1)
    a = a + grow * _sides(a)
    b = b + grow * _sides(b)
    x1 = np.maximum(a[..., 0], b[..., 0])
    y1 = np.maximum(a[..., 1], b[..., 1])
    x2 = np.minimum(a[..., 2], b[..., 2])
    y2 = np.minimum(a[..., 3], b[..., 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    union = area_a + area_b - inter
    iou = np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)
    return np.asarray(np.broadcast_to(iou, (a.shape[0], b.shape[1])), np.float64)


def _sides(boxes: FloatArray) -> FloatArray:
    """(-w, -h, w, h) of xyxy boxes: the direction each side moves when a box grows."""
    w = boxes[..., 2] - boxes[..., 0]
    h = boxes[..., 3] - boxes[..., 1]
    return np.stack([-w, -h, w, h], axis=-1)


def _to_cxcywh(xyxy: FloatArray) -> FloatArray:
    x1, y1, x2, y2 = (float(v) for v in xyxy)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, max(x2 - x1, 1e-6), max(y2 - y1, 1e-6)])


def _size_scale(cxcywh: FloatArray) -> FloatArray:
    """Per-state-axis scale: x and w scale with the width, y and h with the height."""
    w, h = float(cxcywh[2]), float(cxcywh[3])
    return np.array([w, h, w, h])
