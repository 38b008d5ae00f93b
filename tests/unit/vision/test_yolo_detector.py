"""The YOLOv8/YOLO11 ONNX backend on graphs built here with known outputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from vigil.errors import ModelError
from vigil.vision.detectors.base import load_detector
from vigil.vision.detectors.yolo import (
    COCO_CLASSES,
    PAD_VALUE,
    Letterbox,
    YoloOnnxDetector,
    decode,
    letterbox,
)

SIZE = 640


def _raw(boxes: list[tuple[float, float, float, float, int, float]], n: int = 50) -> npt.NDArray:
    """A [1, 84, n] output: (cx, cy, w, h, class id, score) per candidate, zeros elsewhere."""
    out = np.zeros((1, 84, n), np.float32)
    for i, (cx, cy, w, h, cls, score) in enumerate(boxes):
        out[0, :4, i] = (cx, cy, w, h)
        out[0, 4 + cls, i] = score
        out[0, 4 + (cls + 1) % 80, i] = score / 3  # a weaker second class must not win
    return out


def _graph(path: Path, output: npt.NDArray, *, transposed: bool = False) -> Path:
    """A model with a [1, 3, 640, 640] input whose output is `output` (plus 0 x the input).

    The input takes part (mean x 0) so the graph runs the real feed path."""
    const = output.transpose(0, 2, 1) if transposed else output
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["raw", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "yolo-like",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIZE, SIZE])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(const.shape))],
        initializer=[
            numpy_helper.from_array(np.ascontiguousarray(const), "raw"),
            numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


# A 1280x720 frame in a 640 input: scale 0.5, 140 px of grey above and below.
CANDIDATES = [
    (320.0, 320.0, 100.0, 200.0, 0, 0.9),  # person
    (325.0, 322.0, 100.0, 200.0, 0, 0.7),  # the same person again: suppressed by NMS
    (330.0, 320.0, 100.0, 200.0, 2, 0.8),  # a car in the same place: another class, kept
    (100.0, 200.0, 40.0, 40.0, 26, 0.3),  # a handbag below the threshold
    (620.0, 480.0, 80.0, 40.0, 7, 0.6),  # a truck past the right edge: clipped to the frame
]


def test_detect_decodes_unletterboxes_and_suppresses(tmp_path: Path) -> None:
    detector = YoloOnnxDetector(_graph(tmp_path / "y.onnx", _raw(CANDIDATES)), min_confidence=0.5)
    frame = np.full((720, 1280, 3), 60, np.uint8)
    found = detector.detect(frame)
    assert found.class_names == ("person", "car", "truck")
    np.testing.assert_allclose(found.confidence, [0.9, 0.8, 0.6], atol=1e-6)
    expected = np.array(
        [
            [
                540 / 1280,
                160 / 720,
                740 / 1280,
                560 / 720,
            ],  # (320 -+ 50) / 0.5, (320-140 -+ 100)/0.5
            [560 / 1280, 160 / 720, 760 / 1280, 560 / 720],
            [1160 / 1280, 640 / 720, 1.0, 1.0],  # x2 = 1320 -> clipped to 1280
        ],
        np.float32,
    )
    np.testing.assert_allclose(found.xyxy, expected, atol=1e-5)


def test_transposed_output_is_read_too(tmp_path: Path) -> None:
    path = _graph(tmp_path / "t.onnx", _raw(CANDIDATES), transposed=True)
    found = YoloOnnxDetector(path, min_confidence=0.5).detect(np.zeros((640, 640, 3), np.uint8))
    assert found.class_names == ("person", "car", "truck")


def test_load_detector_by_name_with_a_path(tmp_path: Path) -> None:
    path = _graph(tmp_path / "y.onnx", _raw(CANDIDATES))
    detector = load_detector("yolo", model_path=path, min_confidence=0.75)
    assert detector.classes == COCO_CLASSES
    assert detector.detect(np.zeros((480, 640, 3), np.uint8)).class_names == ("person", "car")


def test_load_detector_yolo_needs_a_path() -> None:
    with pytest.raises(ModelError, match="model_path"):
        load_detector("yolo")


def test_a_graph_that_is_not_yolo_is_refused(tmp_path: Path) -> None:
    from vigil.vision.detectors.onnx import DEFAULT_MODEL_PATH

    with pytest.raises(ModelError, match="not a YOLO export"):
        YoloOnnxDetector(DEFAULT_MODEL_PATH)
    with pytest.raises(ModelError, match="not found"):
        YoloOnnxDetector(tmp_path / "missing.onnx")


def test_a_wrong_output_shape_is_named() -> None:
    with pytest.raises(ModelError, match=r"\[1, 84, N\]"):
        decode(
            np.zeros((1, 85, 10), np.float32),
            Letterbox(1.0, 0, 0),
            10,
            10,
            class_names=COCO_CLASSES,
            min_confidence=0.5,
            nms_iou=0.5,
        )


def test_letterbox_centres_and_pads_with_grey() -> None:
    frame = np.full((720, 1280, 3), 200, np.uint8)
    boxed, fit = letterbox(frame, 640)
    assert boxed.shape == (640, 640, 3)
    assert fit == Letterbox(0.5, 0.0, 140.0)
    assert (boxed[:140] == PAD_VALUE).all() and (boxed[500:] == PAD_VALUE).all()
    assert (boxed[140:500] == 200).all()
    tall, fit_tall = letterbox(np.zeros((1080, 960, 3), np.uint8), 640)
    assert fit_tall.pad_y == 0 and fit_tall.pad_x == pytest.approx(35.0, abs=0.5)
    assert (tall[:, :34] == PAD_VALUE).all() and (tall[:, 36:604] == 0).all()


def test_no_candidates_above_threshold_gives_empty_detections() -> None:
    found = decode(
        _raw([(10, 10, 5, 5, 0, 0.2)]),
        Letterbox(1.0, 0, 0),
        640,
        640,
        class_names=COCO_CLASSES,
        min_confidence=0.5,
        nms_iou=0.5,
    )
    assert len(found) == 0 and found.xyxy.shape == (0, 4)
