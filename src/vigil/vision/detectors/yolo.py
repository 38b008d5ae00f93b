"""YOLOv8 / YOLO11 detectors exported to ONNX (Ultralytics `export format=onnx`), by path.

Such an export takes one float32 RGB image, NCHW `[1, 3, S, S]`, scaled to 0-1 and letterboxed
(resized keeping its aspect ratio, centred, padded with grey 114), and returns one tensor
`[1, 4 + C, N]`: for each of N candidate boxes its centre x, centre y, width and height in input
pixels, then C class scores (already sigmoided; no objectness). Non-maximum suppression is not in
the graph: it is done here, per class. C = 80 for COCO models (`COCO_CLASSES`).

No YOLO weights ship with Vigil (none are available under a licence we can redistribute);
the code is tested on graphs the tests build with known outputs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import onnxruntime as ort

from vigil.errors import ModelError
from vigil.model.detections import Detections
from vigil.ops.metrics import ai_inference_duration_seconds
from vigil.vision.detectors.onnx import choose_providers

logger = logging.getLogger(__name__)

COCO_CLASSES: tuple[str, ...] = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
    "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch", "potted plant",
    "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors",
    "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
"""The 80 COCO class names in the order YOLO and NanoDet models number them."""

PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How a frame was fitted into the square input: input = frame * scale + (pad_x, pad_y)."""

    scale: float
    pad_x: float
    pad_y: float


def letterbox(
    image_bgr: npt.NDArray[np.uint8], size: int
) -> tuple[npt.NDArray[np.uint8], Letterbox]:
    """Fit the frame into `size` x `size` keeping its aspect ratio, centred, padded with 114."""
    height, width = image_bgr.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = round(width * scale), round(height * scale)
    resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    left, top = round(pad_x - 0.1), round(pad_y - 0.1)  # as Ultralytics rounds
    out = np.full((size, size, 3), PAD_VALUE, np.uint8)
    out[top : top + new_h, left : left + new_w] = resized
    return out, Letterbox(scale, float(left), float(top))


def decode(
    output: npt.NDArray[np.float32],
    fit: Letterbox,
    frame_width: int,
    frame_height: int,
    *,
    class_names: Sequence[str],
    min_confidence: float,
    nms_iou: float,
    max_detections: int = 300,
) -> Detections:
    """A `[1, 4 + C, N]` (or `[1, N, 4 + C]`) YOLO output -> `Detections` normalised to the frame.

    Boxes (centre, size in input pixels) are un-letterboxed, clipped to the frame, filtered by
    best class score and suppressed per class (IoU above `nms_iou`), best first.
    """
    n_values = 4 + len(class_names)
    if output.ndim != 3 or output.shape[0] != 1 or n_values not in output.shape[1:]:
        raise ModelError(
            f"expected a YOLO output of shape [1, {n_values}, N], got {list(output.shape)}"
        )
    rows = output[0] if output.shape[1] == n_values else output[0].T  # (4 + C, N)
    scores_all = rows[4:]
    class_ids = np.argmax(scores_all, axis=0)
    scores = scores_all[class_ids, np.arange(rows.shape[1])]
    keep = scores >= min_confidence
    cx, cy, w, h = (rows[i][keep] for i in range(4))
    scores, class_ids = scores[keep], class_ids[keep]
    x1 = (cx - w / 2 - fit.pad_x) / fit.scale
    y1 = (cy - h / 2 - fit.pad_y) / fit.scale
    x2 = (cx + w / 2 - fit.pad_x) / fit.scale
    y2 = (cy + h / 2 - fit.pad_y) / fit.scale
    xyxy = np.stack([x1, y1, x2, y2], axis=1).reshape(-1, 4)
    xyxy = np.clip(xyxy, 0, [frame_width, frame_height, frame_width, frame_height])
    chosen = _nms_per_class(xyxy, scores, class_ids, nms_iou)[:max_detections]
    normalised = xyxy[chosen] / np.array([frame_width, frame_height] * 2, np.float32)
    return Detections(
        normalised.astype(np.float32).reshape(-1, 4),
        scores[chosen].astype(np.float32),
        tuple(class_names[int(c)] for c in class_ids[chosen]),
    )


def _nms_per_class(
    xyxy: npt.NDArray[np.float32],
    scores: npt.NDArray[np.float32],
    class_ids: npt.NDArray[np.intp],
    iou: float,
) -> list[int]:
    if len(scores) == 0:
        return []
    # Shift each class to its own region so one NMS call never suppresses across classes.
    offset = (class_ids.astype(np.float32) * (float(xyxy.max()) + 1.0))[:, None]
    shifted = xyxy + offset
    xywh = np.column_stack([shifted[:, :2], shifted[:, 2:] - shifted[:, :2]])
    kept = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), 0.0, iou)
    order = np.asarray(kept, dtype=np.intp).reshape(-1)
    return sorted(order.tolist(), key=lambda i: -float(scores[i]))


class YoloOnnxDetector:
    """Any YOLOv8/YOLO11 ONNX export (one `[1, 3, S, S]` input, one `[1, 4 + C, N]` output).

    `detect` takes an HxWx3 BGR uint8 frame and returns `Detections` normalised to the frame.
    `class_names` defaults to COCO's 80; `min_confidence` and `nms_iou` as in `decode`.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        min_confidence: float = 0.5,
        nms_iou: float = 0.45,
        threads: int = 1,
        class_names: Sequence[str] = COCO_CLASSES,
        providers: Sequence[str] | None = None,
        name: str = "yolo",
    ) -> None:
        self.name = name
        self.classes = tuple(class_names)
        self.min_confidence = min_confidence
        self.nms_iou = nms_iou
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        wanted = list(providers) if providers else choose_providers(ort.get_available_providers())
        try:
            self._session = ort.InferenceSession(
                str(self.model_path), sess_options=options, providers=wanted
            )
        except Exception as err:  # onnxruntime's errors derive from Exception only
            raise ModelError(f"cannot load model {self.model_path}: {err}") from err
        inputs = self._session.get_inputs()
        shape = inputs[0].shape if len(inputs) == 1 else []
        if (
            len(shape) != 4
            or shape[1] != 3
            or not isinstance(shape[2], int)
            or shape[2] != shape[3]
        ):
            raise ModelError(
                f"{self.model_path} is not a YOLO export: expected one [1, 3, S, S] input, "
                f"got {[(i.name, i.shape) for i in inputs]}"
            )
        self._input = inputs[0].name
        self.input_size_px: int = shape[2]
        self._duration = ai_inference_duration_seconds.labels(model=self.name)
        logger.info(
            "detector %s loaded from %s (%d classes, input %dx%d) on %s",
            self.name,
            self.model_path,
            len(self.classes),
            self.input_size_px,
            self.input_size_px,
            ", ".join(self._session.get_providers()),
        )

    def detect(self, image_bgr: npt.NDArray[np.uint8]) -> Detections:
        """Find objects in an HxWx3 BGR uint8 frame; boxes normalised (x1, y1, x2, y2)."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"expected an HxWx3 uint8 BGR frame, got {image_bgr.shape}")
        with self._duration.time():
            boxed, fit = letterbox(image_bgr, self.input_size_px)
            blob = cv2.cvtColor(boxed, cv2.COLOR_BGR2RGB).transpose(2, 0, 1)[np.newaxis]
            blob = np.ascontiguousarray(blob, np.float32) / 255.0
            try:
                (output,) = self._session.run(None, {self._input: blob})[:1]
            except Exception as err:  # onnxruntime's errors derive from Exception only
                raise ModelError(f"{self.name} failed on a {image_bgr.shape} frame: {err}") from err
            height, width = image_bgr.shape[:2]
            return decode(
                np.asarray(output, np.float32),
                fit,
                width,
                height,
                class_names=self.classes,
                min_confidence=self.min_confidence,
                nms_iou=self.nms_iou,
            )
