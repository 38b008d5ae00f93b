"""The tracker on synthetic trajectories at 1 fps: crossings, occlusions, blips, filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from vigil.model.detections import Detection, Detections
from vigil.vision.tracker import ClassFilter, ObjectTracker, TrackerSettings

T0 = datetime(2026, 1, 1, 22, 0, tzinfo=UTC)


def _at(second: float) -> datetime:
    return T0 + timedelta(seconds=second)


def _box(cx: float, cy: float, w: float = 0.06, h: float = 0.2) -> tuple[float, ...]:
    return (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)


def _frame(*items: tuple[tuple[float, ...], float, str]) -> Detections:
    return Detections.from_list(
        [Detection(cls, conf, tuple(box)) for box, conf, cls in items]  # type: ignore[arg-type]
    )


def _ids(result: Detections) -> list[int | None]:
    return list(result.track_ids)


def _immediate() -> TrackerSettings:
    """Publish from the first frame, so ids can be checked from the start."""
    return TrackerSettings(default_filter=ClassFilter(min_track_frames=1))


def test_a_walking_person_keeps_one_id() -> None:
    tracker = ObjectTracker(_immediate())
    seen = set()
    for t in range(20):
        out = tracker.update(_frame((_box(0.1 + 0.03 * t, 0.5), 0.8, "person")), _at(t))
        assert len(out) == 1
        seen.add(out.track_ids[0])
    assert len(seen) == 1
    track = tracker.tracks[seen.pop()]
    assert track.hits == 20 and track.first_seen == T0 and track.last_seen == _at(19)
    assert len(track.path) == 20
    assert track.path[-1][1] == pytest.approx(0.1 + 0.03 * 19, abs=1e-5)
    assert not track.stationary


def test_two_people_crossing_keep_their_ids() -> None:
    """A walks left to right, B right to left on the same line; their boxes overlap mid-way."""
    tracker = ObjectTracker(_immediate())
    first_a = first_b = None
    for t in range(21):
        a = _box(0.1 + 0.04 * t, 0.5)
        b = _box(0.9 - 0.04 * t, 0.52)
        out = tracker.update(_frame((a, 0.8, "person"), (b, 0.75, "person")), _at(t))
        boxes = list(zip(out.xyxy.tolist(), out.track_ids, strict=True))
        # Identify each by its exact box (they differ in y even where x coincides).
        id_a = next(i for box, i in boxes if np.allclose(box, a, atol=1e-5))
        id_b = next(i for box, i in boxes if np.allclose(box, b, atol=1e-5))
        if t == 0:
            first_a, first_b = id_a, id_b
        assert (id_a, id_b) == (first_a, first_b), f"ids swapped at t={t}"
    assert first_a != first_b


def test_an_occluded_person_gets_the_same_id_back() -> None:
    tracker = ObjectTracker(_immediate())
    ids = []
    for t in range(16):
        hidden = 6 <= t <= 8  # behind a pillar for three frames
        frame = Detections.empty() if hidden else _frame((_box(0.2 + 0.03 * t, 0.5), 0.8, "person"))
        out = tracker.update(frame, _at(t))
        ids.extend(out.track_ids)
    assert len(ids) == 13 and len(set(ids)) == 1


def test_a_weak_detection_extends_a_track_but_never_starts_one() -> None:
    tracker = ObjectTracker(_immediate())
    first = tracker.update(_frame((_box(0.3, 0.5), 0.8, "person")), _at(0))
    # The same person dips to 0.4 (below min_confidence 0.5, above low_confidence 0.3).
    dip = tracker.update(_frame((_box(0.32, 0.5), 0.4, "person")), _at(1))
    assert dip.track_ids == first.track_ids
    # A weak detection far from every track is not published and starts nothing.
    ghost = tracker.update(
        _frame((_box(0.34, 0.5), 0.8, "person"), (_box(0.8, 0.2), 0.4, "person")), _at(2)
    )
    assert len(ghost) == 1 and ghost.track_ids == first.track_ids


def test_a_lost_track_ends_and_a_returning_person_gets_a_new_id() -> None:
    tracker = ObjectTracker(
        TrackerSettings(lost_track_s=3, default_filter=ClassFilter(min_track_frames=1))
    )
    first = tracker.update(_frame((_box(0.3, 0.5), 0.8, "person")), _at(0))
    tracker.update(Detections.empty(), _at(2))
    assert not tracker.pop_finished()
    tracker.update(Detections.empty(), _at(4))
    finished = tracker.pop_finished()
    assert [t.track_id for t in finished] == list(first.track_ids)
    back = tracker.update(_frame((_box(0.3, 0.5), 0.8, "person")), _at(5))
    assert back.track_ids != first.track_ids


def test_a_one_frame_blip_is_never_published() -> None:
    tracker = ObjectTracker()  # default: a track counts from its second frame
    blip = tracker.update(_frame((_box(0.7, 0.3), 0.9, "person")), _at(0))
    assert len(blip) == 0
    walker = [
        tracker.update(_frame((_box(0.2 + 0.02 * t, 0.6), 0.8, "person")), _at(t))
        for t in (1, 2, 3)
    ]
    assert [len(w) for w in walker] == [0, 1, 1]


@pytest.mark.parametrize(
    ("box", "confidence", "rule", "published"),
    [
        (_box(0.5, 0.5), 0.8, ClassFilter(min_track_frames=1), True),
        (_box(0.5, 0.5), 0.2, ClassFilter(min_track_frames=1), False),  # below low_confidence
        (_box(0.5, 0.5, 0.01, 0.02), 0.8, ClassFilter(min_area=0.001, min_track_frames=1), False),
        (_box(0.5, 0.5, 0.9, 0.9), 0.8, ClassFilter(max_area=0.5, min_track_frames=1), False),
        (_box(0.5, 0.5), 0.55, ClassFilter(min_confidence=0.6, min_track_frames=1), False),
    ],
)
def test_class_filters(
    box: tuple[float, ...], confidence: float, rule: ClassFilter, published: bool
) -> None:
    tracker = ObjectTracker(TrackerSettings(filters={"person": rule}))
    out = tracker.update(_frame((box, confidence, "person")), _at(0))
    assert (len(out) == 1) is published


def test_filters_apply_per_class() -> None:
    settings = TrackerSettings(
        default_filter=ClassFilter(min_track_frames=1),
        filters={"car": ClassFilter(min_confidence=0.7, min_track_frames=1)},
    )
    tracker = ObjectTracker(settings)
    out = tracker.update(
        _frame((_box(0.2, 0.5), 0.6, "person"), (_box(0.7, 0.5, 0.2, 0.1), 0.6, "car")), _at(0)
    )
    assert out.class_names == ("person",)


def test_ids_are_unique_across_classes_and_output_keeps_input_order() -> None:
    tracker = ObjectTracker(_immediate())
    frame = _frame(
        (_box(0.7, 0.5, 0.2, 0.1), 0.9, "car"),
        (_box(0.2, 0.5), 0.8, "person"),
        (_box(0.71, 0.5, 0.2, 0.1), 0.7, "person"),  # overlaps the car: another class, own track
    )
    out = tracker.update(frame, _at(0))
    assert out.class_names == ("car", "person", "person")
    assert len(set(out.track_ids)) == 3 and None not in out.track_ids


def test_stationary_flag_and_best_snapshot() -> None:
    tracker = ObjectTracker(
        TrackerSettings(stationary_window_s=5, default_filter=ClassFilter(min_track_frames=1))
    )
    image = np.zeros((100, 200, 3), np.uint8)
    image[40:60, 90:110] = 255
    confidences = [0.6, 0.9, 0.7, 0.65, 0.7, 0.6, 0.62]
    for t, conf in enumerate(confidences):
        jitter = 0.002 * (-1) ** t
        out = tracker.update(
            _frame(((0.45 + jitter, 0.4, 0.55 + jitter, 0.6), conf, "bag")), _at(t), image
        )
    track = tracker.tracks[out.track_ids[0]]  # type: ignore[index]
    assert track.stationary
    assert track.best_confidence == pytest.approx(0.9)
    assert track.best_seen == _at(1)
    assert track.best_snapshot is not None and track.best_snapshot.shape[2] == 3
    # The box is 20x20 px; 10% padding each side makes it 24x24.
    assert track.best_snapshot.shape[:2] == (24, 24)
    assert track.best_snapshot.max() == 255


def test_a_walker_is_not_stationary_after_the_window() -> None:
    tracker = ObjectTracker(
        TrackerSettings(stationary_window_s=5, default_filter=ClassFilter(min_track_frames=1))
    )
    for t in range(10):
        out = tracker.update(_frame((_box(0.1 + 0.02 * t, 0.5), 0.8, "person")), _at(t))
    assert not tracker.tracks[out.track_ids[0]].stationary  # type: ignore[index]


def test_filter_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="min_area <= max_area"):
        ClassFilter(min_area=0.5, max_area=0.1)
    with pytest.raises(ValueError, match="min_track_frames"):
        ClassFilter(min_track_frames=0)


def test_crossing_behind_an_obstacle_keeps_both_ids() -> None:
    """A and B walk towards each other; B is hidden for two frames right where they cross."""
    tracker = ObjectTracker(_immediate())
    ids_a: set[int | None] = set()
    ids_b: set[int | None] = set()
    for t in range(21):
        a = _box(0.1 + 0.04 * t, 0.5)
        b = _box(0.9 - 0.04 * t, 0.55)
        items = [(a, 0.8, "person")]
        if t not in (9, 10):
            items.append((b, 0.8, "person"))
        out = tracker.update(_frame(*items), _at(t))
        for box, track_id in zip(out.xyxy.tolist(), out.track_ids, strict=True):
            (ids_a if np.allclose(box, a, atol=1e-5) else ids_b).add(track_id)
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b
