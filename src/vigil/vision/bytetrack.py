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
_DIAGONAL = np.arange(8)  # indexes the diagonal of the (K, 8, 8) covariances


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


class KalmanBoxes:
    """Constant-velocity Kalman filters of K boxes, run together: state (cx, cy, w, h) and
    their rates per second; process noise from a white-noise acceleration, integrated over
    each real time step. Noise scales with each box's own size (x, w with its width; y, h with
    its height), so near and far objects are treated alike."""

    __slots__ = ("covariance", "mean")

    def __init__(self) -> None:
        self.mean: FloatArray = np.zeros((0, 8))
        self.covariance: FloatArray = np.zeros((0, 8, 8))

    def __len__(self) -> int:
        return len(self.mean)

    def add(self, xyxy: FloatArray) -> None:
        """Start filters for boxes (N, 4), at rest, with their velocity unknown."""
        z = _to_cxcywh(xyxy)
        scale = _size_scale(z)
        std = np.concatenate(
            [
                2 * _MEASUREMENT_STD * scale,
                _INITIAL_VELOCITY_STD * scale[:, :2],
                _INITIAL_SIZE_VELOCITY_STD * scale[:, 2:],
            ],
            axis=1,
        )
        covariance = np.zeros((len(z), 8, 8))
        covariance[:, _DIAGONAL, _DIAGONAL] = np.square(std)
        self.mean = np.concatenate([self.mean, np.concatenate([z, np.zeros_like(z)], axis=1)])
        self.covariance = np.concatenate([self.covariance, covariance])

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        self.mean = self.mean[mask]
        self.covariance = self.covariance[mask]

    def predict(self, dt_s: float) -> None:
        if dt_s <= 0 or not len(self):
            return
        transition = np.eye(8)
        transition[:4, 4:] = dt_s * np.eye(4)
        scale = _size_scale(self.mean[:, :4])
        spectral = np.square(
            np.concatenate(
                [_ACCELERATION_STD * scale[:, :2], _SIZE_ACCELERATION_STD * scale[:, 2:]], axis=1
            )
        )
        noise = np.zeros_like(self.covariance)
        position, rate = _DIAGONAL[:4], _DIAGONAL[4:]
        noise[:, position, position] = spectral * dt_s**3 / 3
        noise[:, position, rate] = noise[:, rate, position] = spectral * dt_s**2 / 2
        noise[:, rate, rate] = spectral * dt_s
        self.mean = self.mean @ transition.T
        self.mean[:, 2:4] = np.maximum(self.mean[:, 2:4], 1e-6)
        self.covariance = transition @ self.covariance @ transition.T + noise

    def update(self, index: npt.NDArray[np.intp], xyxy: FloatArray) -> None:
        """Correct filters `index` with measured boxes (len(index), 4)."""
        if not len(index):
            return
        z = _to_cxcywh(xyxy)
        covariance = self.covariance[index]
        projected = covariance[:, :4, :4].copy()
        projected[:, _DIAGONAL[:4], _DIAGONAL[:4]] += np.square(_MEASUREMENT_STD * _size_scale(z))
        # Kalman gain K = P H^T S^-1 with H = [I 0]; S is symmetric positive definite.
        gain = np.linalg.solve(projected, covariance[:, :4, :]).transpose(0, 2, 1)
        innovation = z - self.mean[index, :4]
        self.mean[index] += np.einsum("kij,kj->ki", gain, innovation)
        self.covariance[index] = covariance - gain @ projected @ gain.transpose(0, 2, 1)

    def stop_resizing(self, index: npt.NDArray[np.intp]) -> None:
        """Freeze the size of unseen boxes (a hidden box's growth is no evidence)."""
        self.mean[index, 6:8] = 0.0

    def xyxy(self) -> FloatArray:
        cx, cy, w, h = self.mean[:, 0], self.mean[:, 1], self.mean[:, 2], self.mean[:, 3]
        return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)


class ByteTracker:
    """ByteTrack over one class's detections. `new_id` gives each new track its id (on the
    track's first frame); call `update` in time order (a late frame is matched where the tracks
    are, without predicting backwards)."""

    def __init__(self, settings: ByteTrackSettings, new_id: Callable[[], int]) -> None:
        self.settings = settings
        self._new_id = new_id
        # One row per track, in the same order everywhere.
        self._filters = KalmanBoxes()
        self._ids: list[int] = []
        self._hits: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._last_seen_s: FloatArray = np.zeros(0)
        self._predicted_s: float | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def track_ids(self) -> list[int]:
        return list(self._ids)

    def predicted_xyxy(self) -> dict[int, FloatArray]:
        """Each track's box as last predicted or corrected (for tests and diagnostics)."""
        return dict(zip(self._ids, self._filters.xyxy(), strict=True))

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
        if self._predicted_s is not None:
            self._filters.predict(t_s - self._predicted_s)
        self._predicted_s = t_s if self._predicted_s is None else max(self._predicted_s, t_s)
        predicted = self._filters.xyxy()
        high = np.flatnonzero(scores >= s.high_confidence)
        low = np.flatnonzero((scores >= s.low_confidence) & (scores < s.high_confidence))
        pool = np.arange(len(self))
        # Stage 1: confident detections against every track, lost ones included.
        first, pool, unmatched_high = self._associate(predicted, pool, boxes, high, t_s)
        # Stage 2: weak detections (partly hidden, blurred) may only extend tracks left over.
        second, pool, _ = self._associate(predicted, pool, boxes, low, t_s)
        matched = first + second
        tracks = np.array([i for i, _ in matched], np.intp)
        rows = np.array([r for _, r in matched], np.intp)
        self._filters.update(tracks, boxes[rows])
        self._hits[tracks] += 1
        self._last_seen_s[tracks] = np.maximum(self._last_seen_s[tracks], t_s)
        pairs = [(int(r), self._ids[i]) for i, r in matched]
        self._filters.stop_resizing(pool)
        removed = self._remove_stale(pool, t_s)
        if unmatched_high:
            born = np.array(unmatched_high, np.intp)
            self._filters.add(boxes[born])
            new_ids = [self._new_id() for _ in unmatched_high]
            self._ids.extend(new_ids)
            self._hits = np.concatenate([self._hits, np.ones(len(born), np.int64)])
            self._last_seen_s = np.concatenate([self._last_seen_s, np.full(len(born), t_s)])
            pairs.extend(zip(unmatched_high, new_ids, strict=True))
        return pairs, removed

    def _associate(
        self,
        predicted: FloatArray,
        pool: npt.NDArray[np.intp],
        boxes: FloatArray,
        rows: npt.NDArray[np.intp],
        t_s: float,
    ) -> tuple[list[tuple[int, int]], npt.NDArray[np.intp], list[int]]:
        """Hungarian matching of tracks `pool` (their `predicted` boxes) with detections `rows`
        at time `t_s`, on IoU gated by buffered IoU >= `min_iou`. Returns (track index, row)
        pairs, the unmatched track indices and the unmatched rows."""
        if not len(pool) or not len(rows):
            return [], pool, [int(r) for r in rows]
        # The buffer covers how far an object may stray from its prediction: it grows with the
        # time since the track was last seen, up to `match_buffer` at one second. At 5-10 fps a
        # full buffer lets a false positive beside a person steal the person's track.
        unseen_s = t_s - self._last_seen_s[pool]
        buffer = self.settings.match_buffer * np.clip(unseen_s, _MIN_BUFFER_S, 1.0)
        gate = buffered_iou(predicted[pool], boxes[rows], buffer)
        # Rank by plain IoU too: two people side by side (a crossing) both pass the buffered
        # gate, and the buffered IoU alone hardly tells which box is whose.
        similarity = (gate + buffered_iou(predicted[pool], boxes[rows], 0.0)) / 2
        cost = np.where(gate >= self.settings.min_iou, 1.0 - similarity, _UNMATCHED)
        track_pos, det_pos = linear_sum_assignment(cost)
        ok = cost[track_pos, det_pos] < _UNMATCHED
        track_pos, det_pos = track_pos[ok], det_pos[ok]
        matched = [(int(pool[i]), int(rows[j])) for i, j in zip(track_pos, det_pos, strict=True)]
        return (
            matched,
            np.delete(pool, track_pos),
            [int(r) for r in np.delete(rows, det_pos)],
        )

    def _remove_stale(self, unmatched: npt.NDArray[np.intp], t_s: float) -> list[int]:
        """Drop unmatched tracks that were never confirmed or are lost for too long."""
        s = self.settings
        stale = unmatched[
            (self._hits[unmatched] < s.confirm_hits)
            | (t_s - self._last_seen_s[unmatched] > s.lost_track_s)
        ]
        if not len(stale):
            return []
        removed = [self._ids[i] for i in sorted(stale.tolist())]
        keep = np.ones(len(self), bool)
        keep[stale] = False
        self._filters.keep(keep)
        self._ids = [track_id for track_id, k in zip(self._ids, keep, strict=True) if k]
        self._hits = self._hits[keep]
        self._last_seen_s = self._last_seen_s[keep]
        return removed


def buffered_iou(a: npt.ArrayLike, b: npt.ArrayLike, buffer: float | FloatArray) -> FloatArray:
    """IoU matrix (N, M) of xyxy boxes a (N, 4) and b (M, 4) after growing both boxes of each
    pair on each side by `buffer` x their width (left, right) and height (top, bottom); `buffer`
    is one number or one per row of `a` (N,); 0 gives plain IoU."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    grow = np.broadcast_to(np.asarray(buffer, np.float64).reshape(-1), (len(a),))[:, None]
    aw, ah = (a[:, 2] - a[:, 0])[:, None], (a[:, 3] - a[:, 1])[:, None]
    bw, bh = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    left = np.maximum(a[:, 0:1] - grow * aw, b[:, 0] - grow * bw)
    top = np.maximum(a[:, 1:2] - grow * ah, b[:, 1] - grow * bh)
    right = np.minimum(a[:, 2:3] + grow * aw, b[:, 2] + grow * bw)
    bottom = np.minimum(a[:, 3:4] + grow * ah, b[:, 3] + grow * bh)
    inter = np.clip(right - left, 0, None) * np.clip(bottom - top, 0, None)
    # A box grown by g on each side has (1 + 2g)^2 times its area.
    union = (aw * ah + bw * bh) * np.square(1 + 2 * grow) - inter
    return np.asarray(np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0), np.float64)


def _to_cxcywh(xyxy: FloatArray) -> FloatArray:
    """(N, 4) xyxy -> (N, 4) centre x, centre y, width, height (sizes kept positive)."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    return np.stack(
        [
            (xyxy[:, 0] + xyxy[:, 2]) / 2,
            (xyxy[:, 1] + xyxy[:, 3]) / 2,
            np.maximum(xyxy[:, 2] - xyxy[:, 0], 1e-6),
            np.maximum(xyxy[:, 3] - xyxy[:, 1], 1e-6),
        ],
        axis=1,
    )


def _size_scale(cxcywh: FloatArray) -> FloatArray:
    """Per-state-axis scale (N, 4): x and w scale with the width, y and h with the height."""
    w, h = cxcywh[:, 2:3], cxcywh[:, 3:4]
    return np.concatenate([w, h, w, h], axis=1)
