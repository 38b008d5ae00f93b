"""The `Detections` value type: validation, iteration and conversions."""

from __future__ import annotations

import re

import numpy as np
import pytest

from vigil.model.detections import Detection, Detections


def _boxes(n: int) -> np.ndarray:
    return np.tile(np.array([[0.1, 0.2, 0.3, 0.6]], np.float32), (n, 1))


B2 = _boxes(2)
C2 = np.ones(2, np.float32)
AB = ("a", "b")


@pytest.mark.parametrize(
    ("xyxy", "confidence", "names", "track_ids", "error"),
    [
        (B2, C2, ("person", "car"), (), None),
        (B2, C2, ("person", "car"), (7, None), None),
        (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), (), (), None),
        (B2, C2, ("person",), (), "xyxy must have shape (1, 4), got (2, 4)"),
        (np.zeros((2, 5), np.float32), C2, AB, (), "xyxy must have shape (2, 4), got (2, 5)"),
        (B2.ravel(), C2, AB, (), "xyxy must have shape (2, 4), got (8,)"),
        (B2, np.ones(3, np.float32), AB, (), "confidence must have shape (2,), got (3,)"),
        (B2, np.ones((2, 1), np.float32), AB, (), "confidence must have shape (2,), got (2, 1)"),
        (B2, C2, AB, (1, 2, 3), "track_ids must have 2 entries, got 3"),
    ],
)  # fmt: skip
def test_shapes_are_validated_with_a_message_stating_the_expected_shape(
    xyxy: np.ndarray,
    confidence: np.ndarray,
    names: tuple[str, ...],
    track_ids: tuple[int | None, ...],
    error: str | None,
) -> None:
    if error is None:
        assert len(Detections(xyxy, confidence, names, track_ids)) == len(names)
    else:
        with pytest.raises(ValueError, match=re.escape(error)):
            Detections(xyxy, confidence, names, track_ids)


def test_iteration_yields_one_detection_per_row_with_plain_python_values() -> None:
    detections = Detections(
        np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 1.0, 1.0]], np.float32),
        np.array([0.9, 0.6], np.float32),
        ("person", "car"),
        (3, None),
    )

    items = list(detections)

    assert [d.class_name for d in items] == ["person", "car"]
    assert [d.track_id for d in items] == [3, None]
    assert items[0].confidence == pytest.approx(0.9)
    assert items[0].bbox_xyxy == pytest.approx((0.1, 0.2, 0.3, 0.4))
    assert all(type(v) is float for d in items for v in (d.confidence, *d.bbox_xyxy))


def test_iteration_without_track_ids_gives_none() -> None:
    detections = Detections(_boxes(2), np.ones(2, np.float32), ("person", "person"))

    assert [d.track_id for d in detections] == [None, None]


def test_foot_point_is_the_bottom_centre_of_the_box() -> None:
    detection = Detection("person", 0.8, (0.2, 0.1, 0.4, 0.9))

    assert detection.foot_point == pytest.approx((0.3, 0.9))


def test_empty_has_no_detections_and_well_shaped_arrays() -> None:
    empty = Detections.empty()

    assert len(empty) == 0
    assert list(empty) == []
    assert empty.xyxy.shape == (0, 4)
    assert empty.xyxy.dtype == np.float32
    assert empty.confidence.shape == (0,)


def test_from_list_round_trips_through_iteration() -> None:
    items = [
        Detection("person", 0.75, (0.1, 0.2, 0.3, 0.4), track_id=1),
        Detection("truck", 0.5, (0.0, 0.0, 1.0, 1.0), track_id=None),
    ]

    detections = Detections.from_list(items)

    assert detections.xyxy.dtype == np.float32
    assert detections.confidence.dtype == np.float32
    assert detections.class_names == ("person", "truck")
    back = list(detections)
    assert [(d.class_name, d.track_id) for d in back] == [("person", 1), ("truck", None)]
    for got, want in zip(back, items, strict=True):
        assert got.confidence == pytest.approx(want.confidence)
        assert got.bbox_xyxy == pytest.approx(want.bbox_xyxy)


def test_from_an_empty_list_is_empty() -> None:
    assert len(Detections.from_list([])) == 0


def test_to_json_uses_the_bus_message_keys() -> None:
    detection = Detection("person", 0.123456, (0.1, 0.2, 0.3, 0.4), track_id=4)

    assert detection.to_json() == {
        "class": "person",
        "confidence": 0.1235,
        "bbox": [0.1, 0.2, 0.3, 0.4],
        "track_id": 4,
    }
