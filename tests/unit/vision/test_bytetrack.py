"""Vigil's ByteTrack core: time-aware prediction, the two association stages, pruning."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.vision.bytetrack import ByteTracker, ByteTrackSettings, KalmanBoxes, buffered_iou


def _counter() -> ByteTracker:
    ids = iter(range(1, 1000))
    return ByteTracker(ByteTrackSettings(lost_track_s=3.0, confirm_hits=1), lambda: next(ids))


def _box(cx: float, cy: float = 0.5, w: float = 0.06, h: float = 0.2) -> list[float]:
    return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]


@pytest.mark.parametrize(
    ("buffer", "expected"),
    [(0.0, 0.0), (0.1, 12 / 276)],  # 10x10 boxes 1 apart: grown by 1 each side they overlap
)
def test_buffered_iou(buffer: float, expected: float) -> None:
    iou = buffered_iou([[0, 0, 10, 10]], [[11, 0, 21, 10], [0, 0, 10, 10]], buffer)
    assert iou.shape == (1, 2)
    assert iou[0, 0] == pytest.approx(expected) and iou[0, 1] == pytest.approx(1.0)


def test_prediction_follows_real_time_not_frame_count() -> None:
    """A box moving 0.05/s, seen at irregular times, is predicted where it is after a 3 s gap."""
    filters = KalmanBoxes()
    filters.add(np.array([_box(0.1)]))
    t = 0.0
    for dt in (1.0, 0.6, 1.4, 1.0, 0.8, 1.2):
        t += dt
        filters.predict(dt)
        filters.update(np.array([0]), np.array([_box(0.1 + 0.05 * t)]))
    filters.predict(3.0)
    cx = float(filters.xyxy()[0, [0, 2]].mean())
    assert cx == pytest.approx(0.1 + 0.05 * (t + 3.0), abs=0.01)


def test_weak_detections_extend_tracks_but_never_start_them() -> None:
    tracker = _counter()
    pairs, _ = tracker.update([_box(0.3)], [0.8], 0.0)
    assert pairs == [(0, 1)]
    pairs, _ = tracker.update([_box(0.32), _box(0.8)], [0.4, 0.4], 1.0)
    assert pairs == [(0, 1)] and tracker.track_ids == [1]


def test_tracks_are_removed_after_lost_track_s_and_unconfirmed_ones_at_once() -> None:
    ids = iter(range(1, 1000))
    tracker = ByteTracker(ByteTrackSettings(lost_track_s=3.0, confirm_hits=2), lambda: next(ids))
    tracker.update([_box(0.2), _box(0.7)], [0.9, 0.9], 0.0)
    tracker.update([_box(0.22)], [0.9], 1.0)  # 2 is missed on its second frame: never confirmed
    assert tracker.track_ids == [1]
    assert tracker.update([], [], 4.0) == ([], [])  # 3 s unseen: still kept
    assert tracker.update([], [], 4.5) == ([], [1])  # 3.5 s: gone
    assert len(tracker) == 0 and tracker.predicted_xyxy() == {}
