"""The shipped multi-class model (NanoDet-g, COCO-80) on real images, and its box decoding."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vigil.errors import ModelError
from vigil.model.detections import Detections
from vigil.vision.detectors.base import load_detector
from vigil.vision.detectors.nanodet import (
    INPUT_SIZE,
    REG_MAX,
    SURVEILLANCE_CLASSES,
    NanoDetDetector,
    decode_level,
)

Image = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def nanodet() -> NanoDetDetector:
    detector = load_detector("nanodet-g", min_confidence=0.45)
    assert isinstance(detector, NanoDetDetector)
    return detector


def _first_vtest_frame() -> Image:
    capture = cv2.VideoCapture("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
    ok, frame = capture.read()
    capture.release()
    assert ok
    return np.asarray(frame, np.uint8)


def _boxes_of(found: Detections, name: str) -> list[tuple[float, ...]]:
    pairs = zip(found.xyxy, found.class_names, strict=True)
    return [tuple(float(v) for v in b) for b, c in pairs if c == name]


def test_people_and_the_van_on_vtest(nanodet: NanoDetDetector) -> None:
    found = nanodet.detect(_first_vtest_frame())
    people = _boxes_of(found, "person")
    assert len(people) >= 3
    # The white van parked at the top right (x 0.84-0.92, y 0.02-0.12 of the frame).
    vehicles = _boxes_of(found, "car") + _boxes_of(found, "truck")
    assert any(b[0] > 0.8 and b[3] < 0.2 for b in vehicles)
    assert set(found.class_names) <= set(SURVEILLANCE_CLASSES)


def test_bicycles_parked_by_the_wall(
    nanodet: NanoDetDetector, read_image: Callable[[str], Image]
) -> None:
    image = read_image("leuvenB.jpg")
    bikes = _boxes_of(NanoDetDetector(min_confidence=0.4).detect(image), "bicycle")
    # Two bicycles stand against the wall at the bottom left (x 0.18-0.36, y 0.68-0.82).
    assert len(bikes) >= 2
    assert all(0.1 < (b[0] + b[2]) / 2 < 0.4 and 0.6 < (b[1] + b[3]) / 2 < 0.9 for b in bikes)


@pytest.mark.parametrize("name", ["leuvenA.jpg", "building.jpg"])
def test_no_people_in_empty_streets(
    nanodet: NanoDetDetector, read_image: Callable[[str], Image], name: str
) -> None:
    assert "person" not in nanodet.detect(read_image(name)).class_names


def test_all_80_classes_when_asked(read_image: Callable[[str], Image]) -> None:
    everything = NanoDetDetector(min_confidence=0.5)
    found = everything.detect(read_image("messi5.jpg"))
    assert "sports ball" in found.class_names and "person" in found.class_names


def test_per_class_thresholds(read_image: Callable[[str], Image]) -> None:
    strict = NanoDetDetector(min_confidence=0.3, thresholds={"person": 0.99})
    found = strict.detect(read_image("messi5.jpg"))
    assert "person" not in found.class_names and "sports ball" in found.class_names


def test_decode_level_reads_distance_bins() -> None:
    stride = 32
    cells = (INPUT_SIZE // stride) ** 2
    scores = np.zeros((cells, 80), np.float32)
    bins = np.full((cells, 4, REG_MAX + 1), -50.0, np.float32)
    # Cell (x=2, y=1): centre (80, 48); left 1 bin, top 2, right 3, bottom 4 (x stride 32).
    cell = 1 * (INPUT_SIZE // stride) + 2
    for side, k in enumerate((1, 2, 3, 4)):
        bins[cell, side, k] = 50.0
    xyxy, _ = decode_level(scores, bins.reshape(cells, -1), stride)
    np.testing.assert_allclose(xyxy[cell], [80 - 32, 48 - 64, 80 + 96, 48 + 128], atol=1e-3)


def test_unknown_classes_and_missing_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not COCO"):
        NanoDetDetector(classes=["dragon"])
    with pytest.raises(ModelError, match="not found"):
        NanoDetDetector(model_path=tmp_path / "missing.onnx")
