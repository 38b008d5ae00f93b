"""The vision benchmark's scoring: one-to-one matching at IoU 0.5 and id-switch counting, and the
annotations it reads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from bench import BENCHMARKS
from bench.vision import ANNOTATIONS, _count_switches, _match

from vigil.model.detections import Detections


def _boxes(*rows: tuple[float, float, float, float]) -> np.ndarray:
    return np.array(rows, np.float32).reshape(-1, 4)


def test_matching_is_one_to_one_at_iou_half() -> None:
    truth = _boxes((0, 0, 10, 20), (100, 0, 110, 20))
    # Two boxes on the first person (one counts), one shifted too far on the second.
    found = _boxes((0, 0, 10, 20), (1, 1, 11, 21), (106, 0, 116, 20))
    assert _match(found, truth) == 1
    assert _match(_boxes(), truth) == 0 and _match(found, _boxes()) == 0
    assert _match(_boxes((0, 0, 10, 20), (100, 0, 110, 20)), truth) == 2


def _tracked(ids: list[int], xs: list[float]) -> Detections:
    xyxy = np.array([[x, 0.1, x + 0.05, 0.3] for x in xs], np.float32).reshape(-1, 4)
    return Detections(xyxy, np.full(len(xs), 0.9, np.float32), ("person",) * len(xs), tuple(ids))


def test_an_id_switch_is_a_reference_identity_changing_its_track() -> None:
    last: dict[int, int] = {}
    assert _count_switches(_tracked([1, 2], [0.1, 0.5]), _tracked([10, 20], [0.1, 0.5]), last) == 0
    assert _count_switches(_tracked([1, 2], [0.1, 0.5]), _tracked([10, 20], [0.1, 0.5]), last) == 0
    # Reference 2 now maps to a new track 21: one switch.
    assert _count_switches(_tracked([1, 2], [0.1, 0.5]), _tracked([10, 21], [0.1, 0.5]), last) == 1


def test_annotations_cover_40_frames_and_the_benchmark_is_registered() -> None:
    data = json.loads(Path(ANNOTATIONS).read_text())
    frames = data["frames"]
    assert len(frames) >= 40 and data["size"] == [768, 576]
    boxes = [b for rows in frames.values() for b in rows]
    assert len(boxes) > 150
    assert all(0 <= b[0] < b[2] <= 768 and 0 <= b[1] < b[3] <= 576 for b in boxes)
    assert BENCHMARKS["vision"] == "bench.vision:main"
