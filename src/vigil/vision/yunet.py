"""YuNet face detection (2023mar) on onnxruntime: pre-processing, decoding and NMS in numpy.

The graph (`models/face_detection_yunet_2023mar.onnx`, see models/README.md) is fully
convolutional: it takes a float32 BGR NCHW picture with values 0-255 whose height and width are
multiples of 32, and gives, for each stride s in (8, 16, 32) and each cell (row r, column c) of
the (H/s) x (W/s) grid in row-major order:

* `cls_s`, `obj_s` [1, N, 1]: class and objectness probabilities; the score is
  sqrt(clip(cls) * clip(obj)), as OpenCV's FaceDetectorYN computes it;
* `bbox_s` [1, N, 4]: (dx, dy, dw, dh): centre ((c + dx) s, (r + dy) s), size (e^dw s, e^dh s);
* `kps_s` [1, N, 10]: five landmarks ((c + kx) s, (r + ky) s): the eye on the image's left, the
  eye on the image's right, the nose tip, the mouth corner on the image's left, on its right.

OpenCV's FaceDetectorYN (modules/objdetect/src/face_detect.cpp) is the reference this follows;
it is written out here because the product runs on onnxruntime, not on `cv2.dnn`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from vigil.errors import ModelError
from vigil.vision.detectors.onnx import open_session

Image = npt.NDArray[np.uint8]
MODEL_PATH = Path(__file__).resolve().parent / "models" / "face_detection_yunet_2023mar.onnx"
STRIDES = (8, 16, 32)
_INPUT = "input"


@dataclass(frozen=True, slots=True)
class RawFace:
    """One detected face in the caller's image pixels: box (x1, y1, x2, y2), score in [0, 1],
    five landmarks as (x, y) (see the module docstring for their order)."""

    bbox_xyxy: tuple[float, float, float, float]
    score: float
    landmarks: tuple[tuple[float, float], ...]


def scale_for(height: int, width: int, *, min_side_px: int, max_side_px: int) -> float:
    """The resize factor for an image: the longer side is brought down to `max_side_px`, and
    small crops are enlarged until the longer side is `min_side_px` (YuNet's smallest anchors
    are ~10 px: a 40 px face crop fed as is would be found poorly, and enlarged costs little)."""
    longer = max(height, width)
    if longer > max_side_px:
        return max_side_px / longer
    if longer < min_side_px:
        return min_side_px / longer
    return 1.0


def to_blob(image_bgr: Image, scale: float) -> npt.NDArray[np.float32]:
    """Resize by `scale`, pad right and bottom with black to multiples of 32 (as FaceDetectorYN
    does), and lay out as [1, 3, H, W] float32 BGR 0-255."""
    height, width = image_bgr.shape[:2]
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = image_bgr if scale == 1.0 else cv2.resize(image_bgr, size)
    h, w = resized.shape[:2]
    padded = np.zeros((-(-h // 32) * 32, -(-w // 32) * 32, 3), np.float32)
    padded[:h, :w] = resized
    return np.ascontiguousarray(padded.transpose(2, 0, 1)[np.newaxis])


def decode(
    outputs: dict[str, npt.NDArray[np.float32]],
    input_hw: tuple[int, int],
    *,
    min_score: float,
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Boxes [K, 4] (x1, y1, x2, y2), scores [K] and landmarks [K, 5, 2] in input pixels, for
    every cell scoring at least `min_score` (before NMS)."""
    boxes, scores, points = [], [], []
    for stride in STRIDES:
        rows, cols = input_hw[0] // stride, input_hw[1] // stride
        cls = np.clip(outputs[f"cls_{stride}"].reshape(-1), 0.0, 1.0)
        obj = np.clip(outputs[f"obj_{stride}"].reshape(-1), 0.0, 1.0)
        score = np.sqrt(cls * obj)
        if score.size != rows * cols:
            raise ModelError(f"YuNet stride {stride}: {score.size} cells for a {rows}x{cols} grid")
        keep = np.flatnonzero(score >= min_score)
        if keep.size == 0:
            continue
        cell = np.stack([keep % cols, keep // cols], axis=1).astype(np.float32)  # (c, r)
        bbox = outputs[f"bbox_{stride}"].reshape(-1, 4)[keep]
        centre = (cell + bbox[:, :2]) * stride
        size = np.exp(bbox[:, 2:]) * stride
        boxes.append(np.concatenate([centre - size / 2, centre + size / 2], axis=1))
        kps = outputs[f"kps_{stride}"].reshape(-1, 5, 2)[keep]
        points.append((kps + cell[:, np.newaxis, :]) * stride)
        scores.append(score[keep])
    if not boxes:
        empty = np.zeros((0,), np.float32)
        return empty.reshape(0, 4), empty, empty.reshape(0, 5, 2)
    return (
        np.concatenate(boxes).astype(np.float32),
        np.concatenate(scores).astype(np.float32),
        np.concatenate(points).astype(np.float32),
    )


def nms(boxes: npt.NDArray[np.float32], scores: npt.NDArray[np.float32], iou: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression, best score first."""
    # cv2.dnn.NMSBoxes would do, but it takes (x, y, w, h) lists; this is as short in numpy.
    order = list(np.argsort(-scores, kind="stable"))
    areas = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    kept: list[int] = []
    while order:
        best = order.pop(0)
        kept.append(int(best))
        if not order:
            break
        rest = np.array(order)
        top_left = np.maximum(boxes[best, :2], boxes[rest, :2])
        bottom_right = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
        overlap = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        order = [int(i) for i, o in zip(rest, overlap, strict=True) if o <= iou]
    return kept


class YuNet:
    """YuNet on onnxruntime. `detect` is safe to call from several threads at once.

    `min_score`: candidates below it are dropped before NMS (OpenCV's default is 0.9; the
    caller judges the score again); `nms_iou`: overlap above which the weaker box goes;
    `min_side_px` / `max_side_px`: the range the image's longer side is resized into."""

    def __init__(
        self,
        model_path: Path = MODEL_PATH,
        *,
        min_score: float = 0.5,
        nms_iou: float = 0.3,
        min_side_px: int = 320,
        max_side_px: int = 640,
        threads: int = 1,
        providers: Sequence[str] | None = None,
    ) -> None:
        self._session = open_session(
            model_path, what="face detection model", threads=threads, providers=providers
        )
        names = [i.name for i in self._session.get_inputs()]
        if names != [_INPUT]:
            raise ModelError(f"{model_path.name}: expected one input {_INPUT!r}, found {names}")
        self._outputs = [o.name for o in self._session.get_outputs()]
        self.min_score, self.nms_iou = min_score, nms_iou
        self.min_side_px, self.max_side_px = min_side_px, max_side_px

    def detect(self, image_bgr: Image) -> list[RawFace]:
        """Faces in an HxWx3 BGR uint8 image, best score first, in that image's pixels."""
        height, width = image_bgr.shape[:2]
        scale = scale_for(height, width, min_side_px=self.min_side_px, max_side_px=self.max_side_px)
        blob = to_blob(image_bgr, scale)
        values = self._session.run(self._outputs, {_INPUT: blob})
        outputs = {n: np.asarray(v, np.float32) for n, v in zip(self._outputs, values, strict=True)}
        boxes, scores, points = decode(
            outputs, (blob.shape[2], blob.shape[3]), min_score=self.min_score
        )
        faces = []
        for i in nms(boxes, scores, self.nms_iou):
            x1, y1, x2, y2 = (float(v) / scale for v in boxes[i])
            box = (max(0.0, x1), max(0.0, y1), min(float(width), x2), min(float(height), y2))
            marks = tuple((float(x) / scale, float(y) / scale) for x, y in points[i])
            faces.append(RawFace(box, float(scores[i]), marks))
        return faces
