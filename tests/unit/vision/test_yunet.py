"""YuNet decoding and SFace pre-processing written in numpy for onnxruntime give what OpenCV's
own FaceDetectorYN / FaceRecognizerSF (4.14, `cv2.dnn`) give on the same shipped graphs; and
the decoding and NMS on outputs built by hand."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from tests.support.faces import astronaut, messi, two_people
from vigil.vision.faces import SFACE_MODEL_PATH, FaceDetector, SFaceEmbedder
from vigil.vision.yunet import MODEL_PATH, YuNet, decode, nms, scale_for, to_blob

Image = npt.NDArray[np.uint8]


@pytest.fixture(scope="module")
def yunet() -> YuNet:
    # OpenCV's own thresholds, so both keep the same candidates.
    return YuNet(min_score=0.6, nms_iou=0.3, min_side_px=1, max_side_px=10_000)


def _opencv_faces(image: Image) -> npt.NDArray[np.float32]:
    detector = cv2.FaceDetectorYN.create(
        str(MODEL_PATH), "", (image.shape[1], image.shape[0]), 0.6, 0.3
    )
    _, found = detector.detect(image)
    return np.zeros((0, 15), np.float32) if found is None else np.asarray(found, np.float32)


@pytest.mark.parametrize("picture", [astronaut, messi, two_people])
def test_detections_match_opencv_face_detector_yn(yunet: YuNet, picture: object) -> None:
    assert callable(picture)
    image = picture()
    expected = _opencv_faces(image)
    got = yunet.detect(image)
    assert len(got) == len(expected) >= 1
    for face, row in zip(got, expected, strict=True):
        x, y, w, h = row[:4]
        assert np.allclose(face.bbox_xyxy, (x, y, x + w, y + h), atol=0.5)
        assert np.allclose(np.array(face.landmarks).reshape(-1), row[4:14], atol=0.5)
        assert face.score == pytest.approx(float(row[14]), abs=1e-3)


def test_embeddings_match_opencv_face_recognizer_sf() -> None:
    image = astronaut()
    row = _opencv_faces(image)[0]
    recognizer = cv2.FaceRecognizerSF.create(str(SFACE_MODEL_PATH), "")
    expected = np.asarray(recognizer.feature(recognizer.alignCrop(image, row)), np.float32)
    expected = expected.reshape(-1) / np.linalg.norm(expected)
    face = FaceDetector().detect(image)[0]
    got = SFaceEmbedder().embed(face.aligned)
    assert float(np.dot(got[:128], expected)) > 0.999


def test_scale_and_blob() -> None:
    assert scale_for(100, 50, min_side_px=320, max_side_px=640) == pytest.approx(3.2)
    assert scale_for(1280, 720, min_side_px=320, max_side_px=640) == pytest.approx(0.5)
    assert scale_for(400, 300, min_side_px=320, max_side_px=640) == 1.0
    blob = to_blob(np.full((100, 50, 3), 7, np.uint8), 1.0)
    assert blob.shape == (1, 3, 128, 64) and blob.dtype == np.float32
    assert blob[0, :, :100, :50].min() == 7 and blob[0, :, 100:, :].max() == 0  # padded


def _outputs(hw: tuple[int, int]) -> dict[str, npt.NDArray[np.float32]]:
    out = {}
    for stride in (8, 16, 32):
        n = (hw[0] // stride) * (hw[1] // stride)
        out[f"cls_{stride}"] = np.zeros((1, n, 1), np.float32)
        out[f"obj_{stride}"] = np.zeros((1, n, 1), np.float32)
        out[f"bbox_{stride}"] = np.zeros((1, n, 4), np.float32)
        out[f"kps_{stride}"] = np.zeros((1, n, 10), np.float32)
    return out


def test_decode_one_cell() -> None:
    out = _outputs((64, 96))  # stride 16: 4 rows x 6 columns
    cell = 2 * 6 + 3  # row 2, column 3
    out["cls_16"][0, cell] = 0.81
    out["obj_16"][0, cell] = 1.2  # clipped to 1
    out["bbox_16"][0, cell] = (0.5, 0.25, np.log(2.0), 0.0)
    out["kps_16"][0, cell, :2] = (-0.5, 0.5)
    boxes, scores, points = decode(out, (64, 96), min_score=0.5)
    assert scores.tolist() == pytest.approx([0.9])  # sqrt(0.81 * 1)
    # centre ((3 + 0.5) 16, (2 + 0.25) 16) = (56, 36); size (2 * 16, 1 * 16)
    assert boxes[0].tolist() == pytest.approx([40.0, 28.0, 72.0, 44.0])
    assert points[0, 0].tolist() == pytest.approx([40.0, 40.0])
    assert decode(out, (64, 96), min_score=0.95)[0].shape == (0, 4)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], np.float32)
    scores = np.array([0.8, 0.9, 0.7], np.float32)
    assert nms(boxes, scores, 0.3) == [1, 2]
    assert nms(boxes, scores, 0.9) == [1, 0, 2]
