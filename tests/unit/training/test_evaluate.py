"""Average precision at IoU 0.5, computed by hand (pycocotools is not installed here)."""

from __future__ import annotations

import numpy as np
import pytest

from vigil.model.detections import Detections
from vigil.training.evaluate import Evaluation, average_precision, iou
from vigil.training.samples import Label, Sample


@pytest.mark.parametrize(
    ("scored", "n_truth", "expected"),
    [
        ([], 3, 0.0),  # nothing found
        ([(0.9, True), (0.8, True)], 2, 1.0),  # everything, nothing wrong
        ([(0.9, False), (0.8, True)], 1, 0.5),  # a confident mistake first
        ([(0.9, True), (0.8, False), (0.7, True)], 2, 0.5 + 0.5 * 2 / 3),
        ([(0.9, True), (0.1, False)], 2, 0.5),  # a weak mistake after the last hit costs nothing
        ([(0.9, True)], 0, 0.0),  # no ground truth: no AP
    ],
)
def test_average_precision(scored: list[tuple[float, bool]], n_truth: int, expected: float) -> None:
    assert average_precision(scored, n_truth) == pytest.approx(expected)


def test_iou() -> None:
    assert iou((0, 0, 1, 1), (0, 0, 1, 1)) == 1.0
    assert iou((0, 0, 1, 1), (1, 1, 2, 2)) == 0.0
    assert iou((0, 0, 2, 1), (1, 0, 3, 1)) == pytest.approx(1 / 3)


def test_each_ground_truth_is_matched_once_and_other_classes_are_listed() -> None:
    sample = Sample(
        "uploads/a.jpg",
        100,
        100,
        (Label("person", (0.1, 0.1, 0.5, 0.9)), Label("dog", (0, 0, 1, 1))),
    )
    found = Detections(
        xyxy=np.array([[0.1, 0.1, 0.5, 0.9], [0.12, 0.1, 0.5, 0.9]], np.float32),
        confidence=np.array([0.9, 0.8], np.float32),
        class_names=("person", "person"),
    )
    evaluation = Evaluation(("person",), min_confidence=0.5)
    evaluation.add(sample, found)
    result = evaluation.result()
    # The duplicate box is a false positive: one person, matched once.
    assert (result["precision"], result["recall"], result["map50"]) == (0.5, 1.0, 1.0)
    assert result["skipped_classes"] == ["dog"]
